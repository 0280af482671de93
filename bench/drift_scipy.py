#!/usr/bin/python3
"""SciPy/NumPy side of bench/drift.ts: the same drift statistics on the same data.

    /usr/bin/python3 bench/drift_scipy.py DATA N BINS REPEATS

DATA holds 2·N little-endian float64 values, the reference then the current sample. Each
statistic is timed REPEATS times on the loaded arrays (the load is not timed); the median time
in milliseconds and the values are printed as one JSON object.
"""

import json
import sys
import time

import numpy as np
import scipy
from scipy import stats
from scipy.spatial.distance import jensenshannon


def binned(r, c, bins):
    """The spec's binned statistics: reference-quantile bins, then PSI, KL, Jensen-Shannon, Hellinger."""
    edges = np.unique(np.quantile(r, np.arange(bins + 1) / bins))
    inner = edges[1:-1]
    p = np.bincount(np.searchsorted(inner, r, side='right'), minlength=len(inner) + 1) / len(r)
    q = np.bincount(np.searchsorted(inner, c, side='right'), minlength=len(inner) + 1) / len(c)
    pr = np.where(p == 0, 0.0001, p)
    qr = np.where(q == 0, 0.0001, q)
    return {
        'psi': float(np.sum((qr - pr) * np.log(qr / pr))),
        'kl': float(np.sum(pr * np.log(pr / qr))),
        'jensenShannon': float(jensenshannon(p, q, base=2)),
        'hellinger': float(np.sqrt(0.5 * np.sum((np.sqrt(p) - np.sqrt(q)) ** 2))),
    }


def timed(repeats, fn):
    times, value = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        value = fn()
        times.append((time.perf_counter() - start) * 1000)
    return float(np.median(times)), value


def main():
    path, n, bins, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    data = np.fromfile(path, dtype='<f8')
    r, c = data[:n], data[n:]
    ks_ms, ks = timed(repeats, lambda: stats.ks_2samp(r, c))
    w_ms, w = timed(repeats, lambda: stats.wasserstein_distance(r, c))
    b_ms, b = timed(repeats, lambda: binned(r, c, bins))
    print(json.dumps({
        'scipy': scipy.__version__,
        'numpy': np.__version__,
        'ms': {'ks': ks_ms, 'wasserstein': w_ms, 'binned': b_ms},
        'values': {'ks': {'statistic': float(ks.statistic), 'pValue': float(ks.pvalue)}, 'wasserstein': float(w), **b},
    }))


if __name__ == '__main__':
    main()
