#!/usr/bin/python3
"""Golden fixtures for Vigil's false discovery rate rule and data-quality counts.

Run with Debian's Python, which has SciPy 1.10, NumPy 1.24 and statsmodels:

    /usr/bin/python3 scripts/golden/fdr_fixtures.py

SciPy 1.10 has no `false_discovery_control`, so the Benjamini-Hochberg adjusted p-values are
computed here from the definition with NumPy (sort, m*p/k, running minimum from the top, cap at
1) and checked against statsmodels' `multipletests(method="fdr_bh")` when it is installed.
Every p-value comes from a real test on generated data: `ks_2samp(method="auto")` for numerical
columns, `chi2_contingency(correction=False)` for categorical ones (docs/drift.md).

Writes, seeded (a rerun writes the same files):
- test/fixtures/fdr/adjust.json: p-value vectors (ties, p = 1, tiny p, missing entries) with
  their adjusted p-values and rejections at several alphas;
- test/fixtures/fdr/columns.json: raw data sets (numerical and categorical columns) with each
  column's p-value, adjusted p-value and the dataset verdict at alpha 0.05;
- test/fixtures/fdr/server.json: baseline and window records of categorical features (whose
  chi-square is exact from profiles) with the expected p-values and adjusted p-values;
- test/fixtures/quality/counts.json: records, quality rules and the exact counts (rows,
  missing, belowMin, aboveMax, notAllowed, newCategory) and shares.
The tests read these files; they never run Python.
"""

import json
import math
from pathlib import Path

import numpy as np
import scipy
from scipy import stats

try:
    from statsmodels.stats.multitest import multipletests
except ImportError:  # the cross-check is skipped, the definition stands
    multipletests = None

ROOT = Path(__file__).resolve().parents[2]
FDR_OUT = ROOT / 'test' / 'fixtures' / 'fdr'
QUALITY_OUT = ROOT / 'test' / 'fixtures' / 'quality'
ALPHAS = [0.01, 0.05, 0.1, 0.2]


def bh(pvalues):
    """Benjamini-Hochberg from the definition; None (missing) stays None and is not counted."""
    idx = [i for i, p in enumerate(pvalues) if p is not None and not math.isnan(p)]
    p = np.array([pvalues[i] for i in idx], dtype=np.float64)
    m = len(p)
    out = [None] * len(pvalues)
    if m == 0:
        return out
    order = np.argsort(p, kind='stable')
    ranks = np.arange(1, m + 1, dtype=np.float64)
    raw = p[order] * m / ranks
    adjusted = np.minimum(np.minimum.accumulate(raw[::-1])[::-1], 1.0)
    for rank, j in enumerate(order):
        out[idx[j]] = float(adjusted[rank])
    if multipletests is not None:
        reject, corrected, _, _ = multipletests(p, alpha=0.05, method='fdr_bh')
        ours = np.array([out[i] for i in idx])
        assert np.allclose(corrected, ours, rtol=1e-13, atol=0), (corrected, ours)
        for alpha in ALPHAS:
            reject, _, _, _ = multipletests(p, alpha=alpha, method='fdr_bh')
            assert list(reject) == [bool(q <= alpha) for q in ours], alpha
    return out


def rejections(adjusted):
    return {str(a): [None if q is None else bool(q <= a) for q in adjusted] for a in ALPHAS}


def ks_p(r, c):
    return float(stats.ks_2samp(r, c, method='auto').pvalue)


def chi2_p(r, c):
    cats = sorted(set(r) | set(c))
    table = np.array([[sum(1 for v in side if v == k) for k in cats] for side in (r, c)], dtype=np.float64)
    if len(cats) == 1:
        return 1.0
    return float(stats.chi2_contingency(table, correction=False)[1])


def write(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, allow_nan=False) + '\n')


def adjust_cases(rng):
    cases = []
    # Real KS p-values over shifts from none to huge, with ties (identical columns) and p = 1.
    base = rng.normal(0, 1, 400)
    same = base.copy()
    pvals = []
    for shift in [0, 0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 1.0, 3.0]:
        pvals.append(ks_p(base, rng.normal(shift, 1, 300)))
    pvals.append(ks_p(base, same))  # identical samples: p = 1
    pvals.append(pvals[3])  # a tie
    pvals.append(pvals[3])
    pvals.append(ks_p(rng.normal(0, 1, 5000), rng.normal(2, 1, 5000)))  # tiny (asymptotic regime)
    cases.append({'name': 'ks-shifts-ties', 'pValues': pvals})

    # Chi-square p-values of categorical columns, with ties and a column of proportional counts.
    cats = ['a', 'b', 'c', 'd']
    ref = list(rng.choice(cats, 600, p=[0.4, 0.3, 0.2, 0.1]))
    pvals = []
    for probs in [[0.4, 0.3, 0.2, 0.1], [0.38, 0.32, 0.2, 0.1], [0.3, 0.3, 0.3, 0.1], [0.1, 0.2, 0.3, 0.4]]:
        pvals.append(chi2_p(ref, list(rng.choice(cats, 500, p=probs))))
    pvals.append(chi2_p(ref, ref))  # proportional: p = 1
    pvals.append(pvals[1])
    cases.append({'name': 'chi-square-ties', 'pValues': pvals})

    # Missing p-values (columns without data) are left out of m.
    mixed = [cases[0]['pValues'][i] for i in (2, 5, 8)] + [None] + [cases[1]['pValues'][i] for i in (1, 3)] + [None]
    cases.append({'name': 'missing-entries', 'pValues': mixed})
    cases.append({'name': 'all-ones', 'pValues': [1.0, 1.0, 1.0]})
    cases.append({'name': 'single', 'pValues': [cases[0]['pValues'][7]]})
    cases.append({'name': 'all-tied-small', 'pValues': [cases[0]['pValues'][9]] * 5})
    cases.append({'name': 'empty', 'pValues': []})
    cases.append({'name': 'only-missing', 'pValues': [None, None]})
    # Fifty columns: many true nulls and a few shifted ones, the case the rule is for.
    pvals = []
    for j in range(50):
        shift = 0.4 if j % 10 == 0 else 0.0
        pvals.append(ks_p(rng.normal(0, 1, 200), rng.normal(shift, 1, 150)))
    cases.append({'name': 'fifty-columns', 'pValues': pvals})
    for case in cases:
        case['adjusted'] = bh(case['pValues'])
        case['rejected'] = rejections(case['adjusted'])
    return cases


def columns_case(rng):
    """Raw data sets for compareDatasets: numerical columns (exact KS) and categorical ones."""
    n_r, n_c = 800, 600
    ref = {}
    cur = {}
    for j, shift in enumerate([0.0, 0.05, 0.15, 0.3, 0.8]):
        ref[f'x{j}'] = [float(v) for v in np.round(rng.normal(10, 2, n_r), 3)]
        cur[f'x{j}'] = [float(v) for v in np.round(rng.normal(10 + 2 * shift, 2, n_c), 3)]
    ref['x5'] = list(ref['x0'])  # identical to x0 on both sides: a tie
    cur['x5'] = list(cur['x0'])
    cats = ['red', 'green', 'blue']
    for j, probs in enumerate([[0.5, 0.3, 0.2], [0.45, 0.3, 0.25], [0.2, 0.3, 0.5]]):
        ref[f'c{j}'] = list(rng.choice(cats, n_r, p=[0.5, 0.3, 0.2]))
        cur[f'c{j}'] = list(rng.choice(cats, n_c, p=probs))
    names = list(ref)
    pvals = []
    for name in names:
        if name.startswith('x'):
            pvals.append(ks_p(np.array(ref[name]), np.array(cur[name])))
        else:
            pvals.append(chi2_p(ref[name], cur[name]))
    adjusted = bh(pvals)
    return {
        'name': 'columns',
        'columns': names,
        'reference': [{n: ref[n][i] for n in names} for i in range(n_r)],
        'current': [{n: cur[n][i] for n in names} for i in range(n_c)],
        'pValues': pvals,
        'adjusted': adjusted,
        'alpha': 0.05,
        'rejectedColumns': sum(1 for q in adjusted if q <= 0.05),
        'drifted': any(q <= 0.05 for q in adjusted),
    }


def server_case(rng):
    """Records for the server: categorical features only (chi-square is exact from profiles)."""
    n_r, n_c = 1500, 1200
    cats = ['a', 'b', 'c', 'd']
    base_p = [0.4, 0.3, 0.2, 0.1]
    shifts = {
        'f0': base_p,
        'f1': base_p,
        'f2': [0.38, 0.31, 0.2, 0.11],
        'f3': [0.35, 0.3, 0.22, 0.13],
        'f4': [0.3, 0.3, 0.25, 0.15],
        'f5': [0.1, 0.2, 0.3, 0.4],
    }
    ref = {name: list(rng.choice(cats, n_r, p=base_p)) for name in shifts}
    cur = {name: list(rng.choice(cats, n_c, p=probs)) for name, probs in shifts.items()}
    # f6 repeats f2 on both sides (a tie); f7 has the reference's proportions exactly (p = 1).
    ref['f6'], cur['f6'] = list(ref['f2']), list(cur['f2'])
    ref['f7'] = ['a'] * 600 + ['b'] * 450 + ['c'] * 300 + ['d'] * 150
    cur['f7'] = ['a'] * 480 + ['b'] * 360 + ['c'] * 240 + ['d'] * 120
    rng.shuffle(ref['f7'])
    rng.shuffle(cur['f7'])
    names = list(ref)
    pvals = [chi2_p(ref[n], cur[n]) for n in names]
    adjusted = bh(pvals)
    predictions = ['yes', 'no']
    return {
        'name': 'server',
        'features': names,
        'baseline': [
            {'features': {n: str(ref[n][i]) for n in names}, 'prediction': str(rng.choice(predictions))}
            for i in range(n_r)
        ],
        'window': [
            {'features': {n: str(cur[n][i]) for n in names}, 'prediction': str(rng.choice(predictions))}
            for i in range(n_c)
        ],
        'pValues': pvals,
        'adjusted': adjusted,
        'alpha': 0.05,
        'rejectedColumns': sum(1 for q in adjusted if q <= 0.05),
        'drifted': any(q <= 0.05 for q in adjusted),
    }


def quality_case(rng):
    """Records with quality rules and their exact counts (a value is out of range if < min or > max)."""
    rules = {
        'age': {'min': 18, 'max': 90, 'maxMissingShare': 0.05, 'maxOutOfRangeShare': 0.01},
        'plan': {'allowed': ['basic', 'plus', 'pro', 'premium'], 'maxMissingShare': 0.1, 'maxNewCategoryShare': 0.02},
    }
    n_r, n_c = 1000, 900
    baseline = []
    for _ in range(n_r):
        baseline.append({
            'features': {
                'age': float(np.round(rng.uniform(20, 80), 1)),
                'plan': str(rng.choice(['basic', 'plus', 'pro', 'legacy'], p=[0.5, 0.28, 0.2, 0.02])),
            },
            'prediction': str(rng.choice(['yes', 'no'])),
        })
    window = []
    for i in range(n_c):
        u = rng.uniform()
        if u < 0.04:
            age = None
        elif u < 0.07:
            age = float(np.round(rng.uniform(0, 17.9), 1))
        elif u < 0.09:
            age = float(np.round(rng.uniform(90.1, 130), 1))
        else:
            age = float(np.round(rng.uniform(18, 90), 1))
        if i < 6:
            age = [18.0, 90.0, 17.999, 90.001, 0.0, -5.5][i]  # on and just past the bounds
        v = rng.uniform()
        if v < 0.06:
            plan = None
        elif v < 0.09:
            plan = 'enterprise'  # new to the baseline, not allowed
        elif v < 0.11:
            plan = 'premium'  # new to the baseline, allowed
        elif v < 0.12:
            plan = 'legacy'  # in the baseline, not allowed
        else:
            plan = str(rng.choice(['basic', 'plus', 'pro']))
        window.append({'features': {'age': age, 'plan': plan}, 'prediction': str(rng.choice(['yes', 'no']))})
    baseline_plans = {r['features']['plan'] for r in baseline}
    ages = [r['features']['age'] for r in window]
    plans = [r['features']['plan'] for r in window]
    lo, hi = rules['age']['min'], rules['age']['max']
    present_ages = [a for a in ages if a is not None]
    present_plans = [p for p in plans if p is not None]
    counts = {
        'age': {
            'rows': len(ages),
            'missing': len(ages) - len(present_ages),
            'belowMin': sum(1 for a in present_ages if a < lo),
            'aboveMax': sum(1 for a in present_ages if a > hi),
        },
        'plan': {
            'rows': len(plans),
            'missing': len(plans) - len(present_plans),
            'notAllowed': sum(1 for p in present_plans if p not in rules['plan']['allowed']),
            'newCategory': sum(1 for p in present_plans if p not in baseline_plans),
        },
    }
    a, p = counts['age'], counts['plan']
    checks = [
        {'feature': 'age', 'check': 'range', 'value': (a['belowMin'] + a['aboveMax']) / (a['rows'] - a['missing']),
         'limit': 0.01},
        {'feature': 'age', 'check': 'missing', 'value': a['missing'] / a['rows'], 'limit': 0.05},
        {'feature': 'plan', 'check': 'allowed', 'value': p['notAllowed'] / (p['rows'] - p['missing']), 'limit': 0},
        {'feature': 'plan', 'check': 'missing', 'value': p['missing'] / p['rows'], 'limit': 0.1},
        {'feature': 'plan', 'check': 'newCategories', 'value': p['newCategory'] / (p['rows'] - p['missing']),
         'limit': 0.02},
    ]
    for check in checks:
        check['ok'] = check['value'] <= check['limit']
    return {
        'name': 'counts',
        'features': [{'name': 'age', 'type': 'numerical', 'quality': rules['age']},
                     {'name': 'plan', 'type': 'categorical', 'quality': rules['plan']}],
        'baseline': baseline,
        'window': window,
        'counts': counts,
        'checks': checks,
    }


def main():
    rng = np.random.default_rng(20261206)
    meta = {'scipy': scipy.__version__, 'numpy': np.__version__, 'statsmodels': multipletests is not None}
    write(FDR_OUT / 'adjust.json', {'generator': meta, 'alphas': ALPHAS, 'cases': adjust_cases(rng)})
    write(FDR_OUT / 'columns.json', {'generator': meta, **columns_case(rng)})
    write(FDR_OUT / 'server.json', {'generator': meta, **server_case(rng)})
    write(QUALITY_OUT / 'counts.json', {'generator': meta, **quality_case(rng)})
    print(f'wrote fixtures with SciPy {scipy.__version__}, NumPy {np.__version__}, statsmodels check: {meta["statsmodels"]}')


if __name__ == '__main__':
    main()
