#!/usr/bin/python3
"""Golden fixtures for Vigil's drift statistics, computed with SciPy/NumPy.

Run with Debian's Python, which has SciPy 1.10 (the reference named by docs/drift.md):

    /usr/bin/python3 scripts/golden/drift_fixtures.py

It writes one JSON file per case to test/fixtures/drift/. Each holds the inputs (columns of the
reference and current data sets, and options) and what SciPy/NumPy compute from the spec's
formulas: per column the type, counts and missing shares, KS statistic and p-value (with the
regime SciPy used), Wasserstein and its normed value, the drift bin edges and counts, PSI, KL,
Jensen-Shannon, Hellinger, the chi-square test, the categories, the default method and verdict;
and the dataset verdict. Values that JSON cannot hold are written as strings: "NaN",
"Infinity", "-Infinity" (and "" is the empty cell). Everything is seeded: a rerun writes the
same files. The tests read these files; they never run Python.
"""

import json
import math
import re
import sys
from pathlib import Path

import numpy as np
import scipy
from scipy import stats
from scipy.spatial.distance import jensenshannon
from scipy.stats._stats_py import _attempt_exact_2kssamp

OUT = Path(__file__).resolve().parents[2] / 'test' / 'fixtures' / 'drift'

# ---- the spec's reading of cells (mirrors functions/commons/drift/values.ts) ----

MISSING_TEXTS = {'', 'nan', 'null', 'inf', '+inf', '-inf', 'infinity', '+infinity', '-infinity'}
DECIMAL = re.compile(r'^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$')


def is_missing(v):
    if v is None:
        return True
    if isinstance(v, float):
        return not math.isfinite(v)
    if isinstance(v, str):
        t = v.strip()
        if t.lower() in MISSING_TEXTS:
            return True
        return bool(DECIMAL.match(t)) and not math.isfinite(float(t))
    return False


def numeric_value(v):
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return float(v) if math.isfinite(v) else None
    if isinstance(v, str):
        t = v.strip()
        return float(t) if DECIMAL.match(t) and math.isfinite(float(t)) else None
    return None


def infer_type(ref, cur):
    distinct = set()
    for v in list(ref) + list(cur):
        if is_missing(v):
            continue
        x = numeric_value(v)
        if x is None:
            return 'categorical'
        distinct.add(x)
    return 'numerical' if len(distinct) > 5 else 'categorical'


def encode(v):
    """A cell as JSON: non-finite floats as strings."""
    if isinstance(v, float) and not math.isfinite(v):
        return 'NaN' if math.isnan(v) else ('Infinity' if v > 0 else '-Infinity')
    return v


# ---- the spec's statistics, with NumPy/SciPy ----


def binned(p_counts, q_counts):
    p = np.asarray(p_counts, dtype=np.float64) / np.sum(p_counts)
    q = np.asarray(q_counts, dtype=np.float64) / np.sum(q_counts)
    pr = np.where(p == 0, 0.0001, p)
    qr = np.where(q == 0, 0.0001, q)
    return {
        'psi': float(np.sum((qr - pr) * np.log(qr / pr))),
        'kl': float(np.sum(pr * np.log(pr / qr))),
        'jensenShannon': float(jensenshannon(p, q, base=2)),
        'hellinger': float(np.sqrt(0.5 * np.sum((np.sqrt(p) - np.sqrt(q)) ** 2))),
    }


def ks_regime(r, c, d):
    n1, n2 = len(r), len(c)
    if max(n1, n2) > 10000:
        return 'asymp'
    success, _, _ = _attempt_exact_2kssamp(n1, n2, math.gcd(n1, n2), d, 'two-sided')
    return 'exact' if success else 'asymp-fallback'


def numerical_stats(r, c, bins):
    r = np.asarray(r, dtype=np.float64)
    c = np.asarray(c, dtype=np.float64)
    ks = stats.ks_2samp(r, c, method='auto')
    w = stats.wasserstein_distance(r, c)
    std = np.std(r)
    edges = np.unique(np.quantile(r, np.arange(bins + 1) / bins))
    inner = edges[1:-1]
    r_counts = np.bincount(np.searchsorted(inner, r, side='right'), minlength=len(inner) + 1)
    c_counts = np.bincount(np.searchsorted(inner, c, side='right'), minlength=len(inner) + 1)
    stats_ = {
        'ks': {'statistic': float(ks.statistic), 'pValue': float(ks.pvalue)},
        'wasserstein': float(w),
        'wassersteinNormed': float(w / max(std, 0.001)),
        **binned(r_counts, c_counts),
    }
    extra = {
        'ksRegime': ks_regime(r, c, ks.statistic),
        'std': float(std),
        'edges': [float(e) for e in edges],
        'referenceCounts': [int(x) for x in r_counts],
        'currentCounts': [int(x) for x in c_counts],
    }
    return stats_, extra


def categorical_stats(r, c):
    categories = sorted(set(r) | set(c))
    r_counts = [r.count(k) for k in categories]
    c_counts = [c.count(k) for k in categories]
    chi2 = stats.chi2_contingency(np.array([r_counts, c_counts]), correction=False)
    stats_ = {
        'chiSquare': {'statistic': float(chi2[0]), 'pValue': float(chi2[1]), 'dof': int(chi2[2])},
        **binned(r_counts, c_counts),
        'newCategories': [k for k, n in zip(categories, r_counts) if n == 0],
        'missingCategories': [k for k, n in zip(categories, c_counts) if n == 0],
    }
    return stats_, {'categories': categories, 'referenceCounts': r_counts, 'currentCounts': c_counts}


def default_method(col_type, n_r):
    small = n_r <= 1000
    if col_type == 'numerical':
        return ('ks', 0.05) if small else ('wassersteinNormed', 0.1)
    return ('chiSquare', 0.05) if small else ('jensenShannon', 0.1)


def score_of(method, s):
    return {'ks': lambda: s['ks']['pValue'], 'chiSquare': lambda: s['chiSquare']['pValue']}.get(
        method, lambda: s[method])()


def column_expectation(name, ref_cells, cur_cells, col_type, bins):
    def side(cells):
        kept = [v for v in cells if not is_missing(v)]
        return kept, {'count': len(kept), 'missingShare': (len(cells) - len(kept)) / len(cells) if cells else 0}

    r, r_summary = side(ref_cells)
    c, c_summary = side(cur_cells)
    method, threshold = default_method(col_type, len(r))
    out = {'name': name, 'type': col_type, 'reference': r_summary, 'current': c_summary,
           'method': method, 'threshold': threshold}
    if not r or not c:
        return {**out, 'score': None, 'drifted': False, 'stats': None}
    if col_type == 'numerical':
        s, extra = numerical_stats([numeric_value(v) for v in r], [numeric_value(v) for v in c], bins)
    else:
        s, extra = categorical_stats([str(v) for v in r], [str(v) for v in c])
    score = score_of(method, s)
    drifted = score < threshold if method in ('ks', 'chiSquare') else score >= threshold
    return {**out, 'score': score, 'drifted': bool(drifted), 'stats': s, 'details': extra}


def fixture(name, description, reference, current, column_types=None, bins=10):
    for data in (reference, current):
        assert len({len(values) for values in data.values()}) == 1, f'{name}: columns of one side differ in length'
    columns = list(dict.fromkeys(list(reference) + list(current)))
    expected = []
    for col in columns:
        ref_cells = reference.get(col, [None] * len(next(iter(reference.values()))))
        cur_cells = current.get(col, [None] * len(next(iter(current.values()))))
        col_type = (column_types or {}).get(col) or infer_type(ref_cells, cur_cells)
        expected.append(column_expectation(col, ref_cells, cur_cells, col_type, bins))
    drifted = sum(1 for e in expected if e['drifted'])
    share = drifted / len(expected)
    doc = {
        'name': name,
        'description': description,
        'generator': f'scripts/golden/drift_fixtures.py (SciPy {scipy.__version__}, NumPy {np.__version__})',
        'options': {'bins': bins, **({'columnTypes': column_types} if column_types else {})},
        'reference': {k: [encode(v) for v in vs] for k, vs in reference.items()},
        'current': {k: [encode(v) for v in vs] for k, vs in current.items()},
        'expected': {
            'columns': expected,
            'dataset': {'driftedColumns': drifted, 'columns': len(expected), 'driftedShare': share,
                        'drifted': share >= 0.5},
        },
    }
    path = OUT / f'{name}.json'
    path.write_text(json.dumps(doc, allow_nan=False, separators=(',', ':')) + '\n')
    regimes = {e['name']: e.get('details', {}).get('ksRegime') for e in expected if e['type'] == 'numerical'}
    print(f'{path.name}: {path.stat().st_size} bytes; ks regimes {regimes}', file=sys.stderr)


def special_functions():
    """SciPy's KS distributions on a grid that reaches every branch of `_kolmogn` and `smirnov`."""
    from scipy import special
    from scipy.stats._stats_py import _compute_prob_outside_square
    from scipy.stats._stats_pythran import _compute_outer_prob_inside_method

    rng = np.random.default_rng(7)
    rows = []
    for n in [1, 2, 3, 5, 8, 13, 40, 100, 139, 140, 141, 300, 1000, 1013, 5000, 10000, 10001, 13636, 50000,
              100000, 100001, 500000, 1000000, 1000001, 2500000]:
        root = 1 / math.sqrt(n)
        xs = [0.5 / n, 0.75 / n, 1 / n, 1.5 / n, 0.3 * root, 0.8 * root, 1.2 * root, 1.6 * root, 2.5 * root,
              4 * root, 8 * root, 0.49, 0.5, 0.7, 1 - 1 / n, 1 - 0.5 / n, *rng.uniform(0, 1, 3),
              *rng.uniform(0, 5 * root, 4)]
        for x in sorted({float(min(max(x, 1e-9), 1.0)) for x in xs}):
            rows.append([n, x, float(special.smirnov(n, x)), float(stats.kstwo.sf(x, n))])
    square = []
    for n in [5, 30, 60, 200, 1000, 10000]:
        for h in sorted({1, 2, 3, max(1, n // 50), max(1, n // 10), max(1, n // 3), n}):
            square.append([n, h, float(_compute_prob_outside_square(n, h))])
    inside = []
    for _ in range(60):
        m, n = (int(v) for v in rng.integers(1, 400, 2))
        if m == n:
            continue
        g = math.gcd(m, n)
        h = int(rng.integers(1, (m // g) * n + 1))
        inside.append([m, n, g, h, float(_compute_outer_prob_inside_method(m, n, g, h))])
    sums = []
    for size in [5, 8, 100, 129, 1000, 8200]:
        values = [float(f'{v:.6g}') for v in rng.standard_normal(size) * 10.0 ** rng.uniform(-3, 3, size)]
        sums.append({'values': values, 'sum': float(np.sum(np.array(values)))})
    sample = np.sort(np.array([float(f'{v:.6g}') for v in rng.lognormal(0, 2, 999)]))
    probabilities = sorted({*(np.arange(11) / 10), *(np.arange(8) / 7), *(np.arange(101) / 100)})
    quantiles = {'sorted': sample.tolist(),
                 'q': [float(q) for q in probabilities],
                 'quantile': [float(v) for v in np.quantile(sample, probabilities)]}
    doc = {
        'description': 'scipy.special.smirnov(n, x) and scipy.stats.kstwo.sf(x, n) as [n, x, smirnov, kstwo_sf]; '
                       'exact two-sample probabilities as [n, h, p] (square) and [m, n, g, h, p] (inside method); '
                       'np.sum of arrays and np.quantile of a sorted sample.',
        'numpySums': sums, 'numpyQuantiles': quantiles,
        'generator': f'scripts/golden/drift_fixtures.py (SciPy {scipy.__version__}, NumPy {np.__version__})',
        'kolmogorov': rows, 'square': square, 'inside': inside,
    }
    path = OUT / 'special-functions.json'
    path.write_text(json.dumps(doc, allow_nan=False, separators=(',', ':')) + '\n')
    print(f'{path.name}: {path.stat().st_size} bytes, {len(rows)} distribution values', file=sys.stderr)


def g6(values):
    """Rounds to 6 significant digits, so the JSON is short and both sides parse the same doubles."""
    return [float(f'{v:.6g}') for v in values]


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    special_functions()
    rng = np.random.default_rng(20240611)

    fixture('small-unequal', 'Small samples of unequal sizes (exact KS, inside method).',
            {'x': g6(rng.normal(0, 1, 7))}, {'x': g6(rng.normal(0.8, 1.3, 12))})

    fixture('equal-sizes-shift', 'Equal sizes (exact KS, square method) with a shift; normal and uniform.',
            {'x': g6(rng.normal(0, 1, 400)), 'u': g6(rng.uniform(0, 1, 400))},
            {'x': g6(rng.normal(0.3, 1, 400)), 'u': g6(rng.uniform(0, 1, 400))})

    fixture('exact-fallback-h1', "Five against five with D = 1/5: SciPy's exact value exceeds 1, it falls back.",
            {'x': [1, 2, 3, 4, 5]}, {'x': [1.5, 2.5, 3.5, 4.5, 5.5]})

    fixture('exact-fallback-h2', "Sixty against sixty with D = 2/60: the exact value exceeds 1, asymptotic fallback.",
            {'x': [float(i) for i in range(60)]}, {'x': [i + 1.5 for i in range(60)]})

    fixture('ties-discrete', 'Integer counts with many ties (Poisson), unequal sizes.',
            {'n': [int(v) for v in rng.poisson(4, 300)]}, {'n': [int(v) for v in rng.poisson(4.6, 250)]})

    fixture('separated', 'Fully separated samples: tiny exact p-value.',
            {'x': g6(rng.uniform(0, 1, 100))}, {'x': g6(rng.uniform(2, 3, 120))})

    fixture('boundary-exact-10000', 'max(n) = 10000: still exact (inside method), 10000 vs 1500.',
            {'x': g6(rng.normal(0, 1, 10000))}, {'x': g6(rng.normal(0.05, 1, 1500))})

    fixture('boundary-asymp-10001', 'max(n) = 10001: asymptotic, 10001 vs 1500.',
            {'x': g6(rng.normal(0, 1, 10001))}, {'x': g6(rng.normal(0.05, 1, 1500))})

    fixture('asymp-small-other', 'max(n) > 10000 with a tiny other side: kstwo with small n (Pomeranz/DMTW).',
            {'x': g6(rng.normal(0, 1, 10500)), 'y': g6(rng.normal(0, 1, 10500))},
            {'x': g6(rng.normal(0.5, 1, 12)) + [None] * 28, 'y': g6(rng.normal(0, 1, 40))})

    fixture('asymp-large', 'Beyond the boundary, 30000 vs 25000: the large-n asymptotic branches.',
            {'shift': g6(rng.normal(0, 1, 30000)), 'same': g6(rng.normal(0, 1, 30000)),
             'wide': g6(rng.normal(0, 1, 30000))},
            {'shift': g6(rng.normal(0.03, 1, 25000)), 'same': g6(rng.normal(0, 1, 25000)),
             'wide': g6(rng.normal(0, 1.3, 25000))})

    fixture('heavy-tails', 'Cauchy samples: huge Wasserstein and standard deviation.',
            {'x': g6(rng.standard_cauchy(800))}, {'x': g6(rng.standard_cauchy(600) * 1.5 + 0.5)})

    zi_ref = np.where(rng.uniform(size=2000) < 0.7, 0.0, rng.lognormal(0, 1, 2000))
    zi_cur = np.where(rng.uniform(size=1500) < 0.55, 0.0, rng.lognormal(0.2, 1, 1500))
    fixture('zero-inflated', 'Zero-inflated data: duplicate quantile edges collapse into fewer bins.',
            {'x': g6(zi_ref)}, {'x': g6(zi_cur)})

    fixture('constant-reference', 'A constant reference column against a varied current one; both constant.',
            {'c': [5.0] * 35, 'flat': [2.0] * 30 + [None] * 5},
            {'c': g6(rng.normal(5, 1, 20)), 'flat': [2.0] * 20},
            column_types={'flat': 'numerical'})

    def with_missing(values, share, kinds):
        out = list(values)
        idx = rng.choice(len(out), int(len(out) * share), replace=False)
        for k, i in enumerate(idx):
            out[i] = kinds[k % len(kinds)]
        return out

    fixture('missing-values', 'Missing cells of every kind (NaN, Infinity, -Infinity, empty, null); an all-missing side.',
            {'x': with_missing(g6(rng.normal(0, 1, 300)), 0.1, [float('nan'), float('inf'), float('-inf'), '', None]),
             'gone': g6(rng.normal(0, 1, 300)),
             'c': with_missing([str(v) for v in rng.choice(['a', 'b', 'c'], 300)], 0.2, ['', None, 'NaN'])},
            {'x': with_missing(g6(rng.normal(0.1, 1, 200)), 0.3, [float('nan'), '', None]),
             'gone': [float('nan')] * 50 + [None] * 50 + [''] * 100,
             'c': [str(v) for v in rng.choice(['a', 'b', 'c'], 200)]})

    fixture('numeric-text', 'Numbers given as text, as a CSV reader yields them.',
            {'x': [f'{v:.5g}' for v in rng.gamma(2, 2, 150)]}, {'x': [f'{v:.5g}' for v in rng.gamma(2.2, 2, 170)]})

    cats = [f'cat{i:02d}' for i in range(30)]
    fixture('categorical', 'Categories: new and vanished ones, a single-category column, a low-cardinality number.',
            {'plan': [str(v) for v in rng.choice(['basic', 'pro', 'team', 'legacy'], 500, p=[0.5, 0.3, 0.15, 0.05])],
             'one': ['yes'] * 500,
             'many': [str(v) for v in rng.choice(cats[:25], 500)],
             'level': [int(v) for v in rng.choice([1, 2, 3], 500)]},
            {'plan': [str(v) for v in rng.choice(['basic', 'pro', 'team', 'enterprise'], 400, p=[0.4, 0.3, 0.2, 0.1])],
             'one': ['yes'] * 400,
             'many': [str(v) for v in rng.choice(cats[5:], 400)],
             'level': [int(v) for v in rng.choice([1, 2, 3], 400, p=[0.2, 0.3, 0.5])]})

    fixture('categorical-large', 'Large categorical samples (n_r > 1000): Jensen-Shannon by default; tiny chi-square p-value.',
            {'country': [str(v) for v in rng.choice(['DE', 'FR', 'IT', 'ES', 'PL', 'NL'], 5000)]},
            {'country': [str(v) for v in rng.choice(['DE', 'FR', 'IT', 'ES', 'PL', 'SE'], 4000,
                                                     p=[0.3, 0.2, 0.2, 0.1, 0.1, 0.1])]})

    fixture('unicode-categories', 'Category order is by code point (astral characters after U+E000-U+FFFF).',
            {'c': ['\U0001F600', '\uFF21', 'a', 'Z', '\u00e9'] * 20}, {'c': ['\U0001F600', '\uFF21', 'a', 'b'] * 25})

    fixture('ten-thousand-each', '10000 against 10000: exact square method at the boundary.',
            {'x': g6(rng.normal(0, 1, 10000))}, {'x': g6(rng.normal(0.02, 1, 10000))})

    fixture('few-bins', 'Five drift bins on a skewed column.',
            {'x': g6(rng.exponential(1, 600))}, {'x': g6(rng.exponential(1.3, 700))}, bins=5)


if __name__ == '__main__':
    main()
