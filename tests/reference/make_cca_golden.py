#!/usr/bin/env python3
"""Golden values for the deep CCA total correlation (Andrew et al., ICML 2013), computed independently with numpy:
both views centred over the batch, Sigma_ii = X_i' X_i / (m - 1) + r I, Sigma_12 = X_1' X_2 / (m - 1),
T = Sigma11^-1/2 Sigma12 Sigma22^-1/2 with the inverse square roots from eigen-decompositions, and the total
correlation = the sum of T's singular values. Writes tests/reference/cca/golden.json.
Run: /usr/bin/python3 tests/reference/make_cca_golden.py"""
import json, pathlib
import numpy as np


def inv_sqrt(s):
    w, v = np.linalg.eigh(s)
    return v @ np.diag(w ** -0.5) @ v.T


def total_correlation(h1, h2, r):
    m = h1.shape[0]
    a, b = h1 - h1.mean(0), h2 - h2.mean(0)
    s11 = a.T @ a / (m - 1) + r * np.eye(h1.shape[1])
    s22 = b.T @ b / (m - 1) + r * np.eye(h2.shape[1])
    s12 = a.T @ b / (m - 1)
    return float(np.linalg.svd(inv_sqrt(s11) @ s12 @ inv_sqrt(s22), compute_uv=False).sum())


rng = np.random.default_rng(20221)
cases = []
for m, o1, o2, r, coupling in [(64, 4, 4, 1e-4, 0.8), (32, 8, 6, 1e-4, 0.5), (16, 32, 32, 1e-4, 0.9),
                                (128, 16, 16, 1e-3, 0.2), (10, 2, 3, 1e-4, 0.0)]:
    h1 = rng.normal(size=(m, o1)) * rng.uniform(0.5, 3, size=o1)
    mix = rng.normal(size=(o1, o2))
    h2 = coupling * h1 @ mix + rng.normal(size=(m, o2)) + 5.0  # an offset the centring must remove
    cases.append({'h1': h1.tolist(), 'h2': h2.tolist(), 'regulariser': r,
                  'total_correlation': total_correlation(h1, h2, r)})
out = pathlib.Path(__file__).resolve().parent / 'cca' / 'golden.json'
out.write_text(json.dumps({'description': __doc__.strip().splitlines()[0], 'numpy': np.__version__,
                           'cases': cases}))
