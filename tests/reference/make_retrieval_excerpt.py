#!/usr/bin/env python3
"""Copies cases 0 and 2 of ../shared/reference/retrieval_eval_cases.json (the authors' retrieval evaluation:
lambda 0.5 and 1) into tests/fixtures/reference/retrieval_eval_excerpt.json, so the retrieval test also runs where
../shared is absent."""
import json, pathlib
root = pathlib.Path(__file__).resolve().parents[2]
d = json.load(open(root / '../shared/reference/retrieval_eval_cases.json'))
ex = {'description': d['description'],
      'source': '../shared/reference/retrieval_eval_cases.json, cases 0 and 2 (values unchanged; re-made by '
                'tests/reference/make_retrieval_excerpt.py)',
      'cases': [d['cases'][0], d['cases'][2]]}
json.dump(ex, open(root / 'tests/fixtures/reference/retrieval_eval_excerpt.json', 'w'), indent=1)
