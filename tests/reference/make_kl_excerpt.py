#!/usr/bin/env python3
"""Copies cases 0 and 3 of ../shared/reference/kl_rank_loss_cases.json (the authors' KL rank loss values) into
tests/fixtures/reference/kl_rank_loss_excerpt.json, so the loss test also runs where ../shared is absent."""
import json, pathlib
root = pathlib.Path(__file__).resolve().parents[2]
d = json.load(open(root / '../shared/reference/kl_rank_loss_cases.json'))
ex = {'description': d['description'],
      'source': '../shared/reference/kl_rank_loss_cases.json, cases 0 and 3 (byte values unchanged; re-made by '
                'tests/reference/make_kl_excerpt.py)',
      'cases': [d['cases'][0], d['cases'][3]]}
json.dump(ex, open(root / 'tests/fixtures/reference/kl_rank_loss_excerpt.json', 'w'), indent=1)
