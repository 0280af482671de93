#!/usr/bin/python3
"""Golden fixtures for Vigil's estimated performance (CBPE), computed with scikit-learn.

Run with Debian's Python, which has scikit-learn 1.2 (the reference named by docs/drift.md):

    /usr/bin/python3 scripts/golden/cbpe_fixtures.py

It writes one JSON file per case to test/fixtures/cbpe/. Each holds the inputs (the positive
class, the baseline's records with score, actual and prediction, the window's records with score
and prediction) and what scikit-learn and NumPy compute from them: the thresholds of
IsotonicRegression(out_of_bounds="clip") fitted on (score, actual == positive class), its
prediction for every window score, the confusion sums TP = sum(yhat * p), FP = sum(yhat * (1 - p)),
FN = sum((1 - yhat) * p), TN = sum((1 - yhat) * (1 - p)) (yhat = 1 when the prediction is the
positive class) and accuracy, precision, recall and F1 (null on a zero denominator), and the
window scores below and above the fitted range. Everything is seeded: a rerun writes the same
files. The tests read these files; they never run Python.
"""

import json
from pathlib import Path

import numpy as np
import sklearn
from sklearn.isotonic import IsotonicRegression

OUT = Path(__file__).resolve().parents[2] / 'test' / 'fixtures' / 'cbpe'


def ratio(a, b):
    return None if b == 0 else float(a / b)


def case(name, positive, baseline, window, note):
    """baseline: (score, actual, prediction) triples; window: (score, prediction) pairs."""
    bx = np.array([float(s) for s, _, _ in baseline])
    by = np.array([1.0 if str(a) == str(positive) else 0.0 for _, a, _ in baseline])
    model = IsotonicRegression(out_of_bounds='clip').fit(bx, by)
    wx = np.array([float(s) for s, _ in window])
    yhat = np.array([1.0 if str(p) == str(positive) else 0.0 for _, p in window])
    p = model.predict(wx)
    tp = float(np.sum(yhat * p))
    fp = float(np.sum(yhat * (1 - p)))
    fn = float(np.sum((1 - yhat) * p))
    tn = float(np.sum((1 - yhat) * (1 - p)))
    n = len(window)
    fixture = {
        'name': name,
        'note': note,
        'generator': f'scikit-learn {sklearn.__version__}, NumPy {np.__version__}',
        'positiveClass': positive,
        'baseline': [{'score': float(s), 'actual': a, 'prediction': q} for s, a, q in baseline],
        'window': [{'score': float(s), 'prediction': q} for s, q in window],
        'thresholds': {'x': [float(v) for v in model.X_thresholds_], 'y': [float(v) for v in model.y_thresholds_]},
        'calibrated': [float(v) for v in p],
        'confusion': {'tp': tp, 'fp': fp, 'fn': fn, 'tn': tn},
        'estimated': {
            'accuracy': ratio(tp + tn, n),
            'precision': ratio(tp, tp + fp),
            'recall': ratio(tp, tp + fn),
            'f1': ratio(2 * tp, 2 * tp + fp + fn),
            'samples': n,
        },
        'clipped': {
            'below': int(np.sum(wx < model.X_thresholds_[0])),
            'above': int(np.sum(wx > model.X_thresholds_[-1])),
        },
    }
    (OUT / f'{name}.json').write_text(json.dumps(fixture, indent=1) + '\n')
    print(f'{name}: {len(model.X_thresholds_)} thresholds, estimate {fixture["estimated"]}')


def labelled(rng, scores, power=1.0, positive=1, negative=0):
    """Actuals drawn with P(positive) = score ** power."""
    return [positive if rng.random() < s**power else negative for s in scores]


def predicted(scores, cut=0.5, positive=1, negative=0):
    return [positive if s >= cut else negative for s in scores]


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(20261206)

    # Noisy: a miscalibrated model (P(y) = s^1.5), the window shifted towards high scores.
    s = rng.beta(2, 3, 2000)
    w = rng.beta(3, 2, 1200)
    case('noisy', 1, list(zip(s, labelled(rng, s, 1.5), predicted(s))), list(zip(w, predicted(w))),
         'beta(2,3) baseline scores, actuals with P = s^1.5; beta(3,2) window')

    # Ties: scores on a grid of 0.05, many records per score; string classes.
    s = np.round(rng.uniform(0, 1, 1500) * 20) / 20
    w = np.round(rng.uniform(0, 1, 900) * 20) / 20
    case('ties', 'fraud',
         list(zip(s, labelled(rng, s, 1.0, 'fraud', 'ok'), predicted(s, 0.5, 'fraud', 'ok'))),
         list(zip(w, predicted(w, 0.45, 'fraud', 'ok'))),
         'scores on a 0.05 grid (ties merged by their mean actual); classes "fraud" and "ok"')

    # Near ties: scores closer than 1e-15 to a run's first are merged by scikit-learn.
    base = [0.5, 0.5 + 2**-52, 0.5 + 2**-50, 0.5 + 2**-49, 0.25, 0.25 + 2**-54, 0.75, 0.75 - 2**-53, 0.1, 0.9]
    s = np.array(base * 30) + 0
    ys = labelled(rng, s, 1.0)
    w = np.array(base * 20 + list(rng.uniform(0, 1, 200)))
    case('near-ties', 1, list(zip(s, ys, predicted(s))), list(zip(w, predicted(w, 0.3))),
         'scores 2^-52 .. 2^-49 apart: within 1e-15 of a run\'s first score they merge')

    # Constant scores: one threshold, every window score clipped to it.
    s = np.full(400, 0.3)
    w = rng.uniform(0, 1, 500)
    case('constant', True, list(zip(s, labelled(rng, s, 1.0, True, False), [False] * 400)),
         list(zip(w, predicted(w, 0.5, True, False))),
         'every baseline score 0.3: a single threshold; boolean classes')

    # Out of range: baseline scores in [0.2, 0.8], window scores over [0, 1].
    s = rng.uniform(0.2, 0.8, 1000)
    w = rng.uniform(0, 1, 1000)
    case('out-of-range', 1, list(zip(s, labelled(rng, s, 0.8), predicted(s))), list(zip(w, predicted(w))),
         'window scores below and above the fitted range are clipped')

    # Perfectly separated: negatives below 0.4, positives above 0.6.
    neg = rng.uniform(0.0, 0.4, 500)
    pos = rng.uniform(0.6, 1.0, 500)
    s = np.concatenate([neg, pos])
    ys = [0] * 500 + [1] * 500
    w = rng.uniform(0, 1, 800)
    case('separated', 1, list(zip(s, ys, predicted(s))), list(zip(w, predicted(w))),
         'perfectly separated baseline: thresholds [min, max neg, min pos, max], y [0, 0, 1, 1]')

    # No positive prediction in the window: precision and F1 of an empty denominator.
    s = rng.uniform(0, 1, 300)
    w = rng.uniform(0, 0.2, 200)
    case('no-positive-predictions', 1, list(zip(s, labelled(rng, s), predicted(s))), list(zip(w, [0] * 200)),
         'no window prediction is the positive class: precision is 0/0 (null), F1 is 0 unless p is 0')


if __name__ == '__main__':
    main()
