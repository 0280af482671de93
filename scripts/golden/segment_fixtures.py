#!/usr/bin/python3
"""Golden fixtures for Vigil's segments, computed with SciPy/NumPy.

Run with Debian's Python, which has SciPy 1.10 (the reference named by docs/drift.md):

    /usr/bin/python3 scripts/golden/segment_fixtures.py

It writes test/fixtures/segments/*.json. Each holds a model (its features, segment feature and
drift methods), baseline records and window records, and, per segment of the baseline, what the
spec's statistics are on the baseline records of that segment (the reference) against its window
records (the current data): the binned statistics (PSI, KL, Jensen-Shannon, Hellinger) and the
chi-square test, computed by drift_fixtures.py's functions, the verdicts and the segment's status.
Segments are the 50 most frequent values of the segment feature in the baseline (ties in
code-point order), every other value counted as `__other__`, missing cells in no segment.
Everything is seeded: a rerun writes the same files. The tests never run Python.
"""

import base64
import hashlib
import json
import re
import sys
from pathlib import Path

import numpy as np
import scipy

sys.path.insert(0, str(Path(__file__).resolve().parent))
from drift_fixtures import column_expectation, g6, is_missing  # noqa: E402

OUT = Path(__file__).resolve().parents[2] / 'test' / 'fixtures' / 'segments'
SEGMENT_VALUES = 50
OTHER = '__other__'
PLAIN_KEY = re.compile(r'[A-Za-z0-9_.-]{1,40}')
P_VALUE_METHODS = {'ks', 'chiSquare'}
DEFAULT_THRESHOLDS = {'ks': 0.05, 'chiSquare': 0.05, 'psi': 0.1, 'kl': 0.1, 'jensenShannon': 0.1,
                      'hellinger': 0.1, 'wassersteinNormed': 0.1}


def segment_key(value):
    """functions/commons/segments/columns.ts segmentKey."""
    if value == OTHER:
        return OTHER
    if PLAIN_KEY.fullmatch(value):
        return value
    digest = base64.urlsafe_b64encode(hashlib.sha256(value.encode('utf-8')).digest()).decode('ascii')
    return '~' + digest.rstrip('=')[:16]


def top_values(cells):
    counts = {}
    for cell in cells:
        if not is_missing(cell):
            counts[str(cell)] = counts.get(str(cell), 0) + 1
    ranked = sorted(((v, n) for v, n in counts.items() if v != OTHER), key=lambda vn: (-vn[1], vn[0]))
    top = ranked[:SEGMENT_VALUES]
    rest = counts.get(OTHER, 0) + sum(n for _, n in ranked[SEGMENT_VALUES:])
    return [{'value': v, 'key': segment_key(v), 'records': n} for v, n in top] + \
        [{'value': OTHER, 'key': OTHER, 'records': rest}]


def segment_of(cell, tracked):
    if is_missing(cell):
        return None
    return str(cell) if str(cell) in tracked else OTHER


def with_method(column, method):
    threshold = DEFAULT_THRESHOLDS[method]
    if column['stats'] is None:
        return {**column, 'method': method, 'threshold': threshold, 'score': None, 'drifted': False}
    s = column['stats']
    score = s[method]['pValue'] if method in P_VALUE_METHODS else s[method]
    drifted = score < threshold if method in P_VALUE_METHODS else score >= threshold
    return {**column, 'method': method, 'threshold': threshold, 'score': score, 'drifted': bool(drifted)}


def fixture(name, description, model, reference, current):
    feature = model['segments'][0]
    types = {f['name']: f['type'] for f in model['features']}
    methods = {k: v['method'] for k, v in model['thresholds']['drift'].items()}
    values = top_values(r['features'].get(feature) for r in reference)
    tracked = {v['value'] for v in values if v['value'] != OTHER}
    segments = []
    for entry in values:
        ref = [r for r in reference if segment_of(r['features'].get(feature), tracked) == entry['value']]
        cur = [r for r in current if segment_of(r['features'].get(feature), tracked) == entry['value']]
        assert len(ref) == entry['records']
        columns = []
        for f in model['features']:
            ref_cells = [r['features'].get(f['name']) for r in ref]
            cur_cells = [r['features'].get(f['name']) for r in cur]
            column = column_expectation(f['name'], ref_cells, cur_cells, types[f['name']], model['thresholds']['bins'])
            columns.append(with_method(column, methods[f['name']]))
        drifted = sum(1 for c in columns if c['drifted'])
        share = drifted / len(columns)
        dataset = {'driftedColumns': drifted, 'columns': len(columns), 'driftedShare': share,
                   'drifted': share >= model['thresholds']['driftShare']}
        if len(cur) < model['schedule']['minSamples'] or not ref:
            status = 'insufficient_data'
        else:
            status = 'breach' if dataset['drifted'] else 'ok'
        segments.append({**entry, 'samples': len(cur), 'status': status, 'columns': columns, 'dataset': dataset})
    doc = {
        'name': name,
        'description': description,
        'generator': f'scripts/golden/segment_fixtures.py (SciPy {scipy.__version__}, NumPy {np.__version__})',
        'model': model,
        'reference': reference,
        'current': current,
        'expected': {'feature': feature, 'segments': segments},
    }
    path = OUT / f'{name}.json'
    path.write_text(json.dumps(doc, allow_nan=False, ensure_ascii=False, separators=(',', ':')) + '\n')
    statuses = {s['value'][:12]: s['status'] for s in segments if s['status'] != 'insufficient_data'}
    print(f'{path.name}: {path.stat().st_size} bytes; {len(segments)} segments; {statuses}', file=sys.stderr)


APPROVERS = {role: [f'{role.lower()}@example.com'] for role in
             ('dataScienceLead', 'devTeam', 'qa', 'irbLiaison', 'legal', 'mlops', 'operations', 'support')}
LONG = 'Île-de-France — région capitale 🗼 (un nom de région très long, au-delà de quarante caractères)'


def region_cells(rng):
    """3,000 baseline regions: four large ones, a long Unicode one, 44 of 22 records, seven of 21
    (one makes the top 50 by code-point order, six go to __other__), and missing ones."""
    cells = ['north'] * 600 + ['south'] * 500 + ['east'] * 400 + ['west'] * 300 + [LONG] * 60
    cells += [f'r{i:02d}' for i in range(44) for _ in range(22)]
    cells += [f'r{i:02d}' for i in range(44, 51) for _ in range(21)]
    cells += [None] * (3000 - len(cells))
    rng.shuffle(cells)
    return cells


def records(rng, regions, shifted=None):
    out = []
    for region in regions:
        shift = region == shifted
        age = None if rng.uniform() < 0.02 else g6([rng.normal(40 + (12 if shift else 0), 10)])[0]
        plan = rng.choice(['basic', 'plus', 'pro'], p=[0.2, 0.3, 0.5] if shift else [0.5, 0.3, 0.2])
        features = {'age': age, 'plan': str(plan)}
        if region is not None:
            features['region'] = region
        out.append({'features': features, 'prediction': 'churn' if rng.uniform() < 0.3 else 'stay'})
    return out


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(20261206)
    model = {
        'name': 'Churn by region',
        'owner': 'ds@example.com',
        'task': 'classification',
        'features': [{'name': 'region', 'type': 'categorical'}, {'name': 'age', 'type': 'numerical'},
                     {'name': 'plan', 'type': 'categorical'}],
        'segments': ['region'],
        'schedule': {'every': 'PT1H', 'window': 'PT1H', 'minSamples': 30},
        'thresholds': {'bins': 10, 'driftShare': 0.5,
                       'drift': {'region': {'method': 'chiSquare'}, 'age': {'method': 'psi'},
                                 'plan': {'method': 'chiSquare'}}},
        'approvers': APPROVERS,
    }
    baseline_regions = region_cells(rng)
    reference = records(rng, baseline_regions)
    window_regions = [baseline_regions[i] for i in rng.integers(0, len(baseline_regions), 1460)]
    window_regions += ['atlantis'] * 40
    rng.shuffle(window_regions)
    current = records(rng, window_regions, shifted='south')
    fixture('regions', 'One segment feature with 56 values: south shifts (age and plan), a new region '
            'goes to __other__, ties at the 50th value, a long Unicode value (hashed key), missing regions.',
            model, reference, current)


if __name__ == '__main__':
    main()
