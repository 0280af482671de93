import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { calibrate, fitIsotonic, MAX_CALIBRATION_THRESHOLDS, pieceOf } from '#commons/cbpe/calibration';
import { CbpeBuckets, CbpeCounter, ScoreSum } from '#commons/cbpe/counters';
import { confusionSums, estimateMetrics, realisedMetrics } from '#commons/cbpe/estimate';
import { checkCalibrationRecords, checkScores, fitCalibration } from '#commons/cbpe/records';
import { HttpError } from '#commons/http';
import { exactQuotient, exactValue } from '#commons/telemetry/exact';
import { IssueList } from '#commons/telemetry/records';
import { mergeCounters, type WindowCounters } from '#drift/profile';
import { repoRoot } from '../../support/process.ts';

type Label = string | number | boolean;
interface Fixture {
  name: string;
  positiveClass: Label;
  baseline: { score: number; actual: Label; prediction: Label }[];
  window: { score: number; prediction: Label }[];
  thresholds: { x: number[]; y: number[] };
  calibrated: number[];
  confusion: { tp: number; fp: number; fn: number; tn: number };
  estimated: {
    accuracy: number | null;
    precision: number | null;
    recall: number | null;
    f1: number | null;
    samples: number;
  };
  clipped: { below: number; above: number };
}

const dir = path.join(repoRoot, 'test', 'fixtures', 'cbpe');
const fixtures: Fixture[] = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')));

function close(actual: number | null, expected: number | null, tolerance = 1e-9) {
  if (expected === null) expect(actual).toBeNull();
  else {
    expect(actual).not.toBeNull();
    expect(Math.abs((actual as number) - expected)).toBeLessThanOrEqual(tolerance);
  }
}

function counted(fixture: Fixture, records = fixture.window): WindowCounters {
  const calibration = fitCalibration({ positiveClass: fixture.positiveClass }, fixture.baseline);
  const counter = new CbpeCounter(calibration as NonNullable<typeof calibration>);
  for (const r of records) counter.add(r.prediction, r.score);
  return counter.counters();
}

describe('estimated performance against scikit-learn 1.2 (test/fixtures/cbpe)', () => {
  it('has the fixtures of every case', () => {
    expect(fixtures.map((f) => f.name)).toEqual(
      expect.arrayContaining(['constant', 'near-ties', 'noisy', 'out-of-range', 'separated', 'ties']),
    );
  });

  for (const fixture of fixtures) {
    describe(fixture.name, () => {
      it("fits IsotonicRegression(out_of_bounds='clip')'s thresholds", () => {
        const positive = String(fixture.positiveClass);
        const fitted = fitIsotonic(
          fixture.baseline.map((r) => r.score),
          fixture.baseline.map((r) => (String(r.actual) === positive ? 1 : 0)),
        );
        // The same doubles: the same operations in the same order.
        expect(fitted).toEqual(fixture.thresholds);
      });

      it('predicts as scikit-learn does, clipped outside the thresholds', () => {
        const calibration = fixture.thresholds;
        fixture.window.forEach((r, i) => {
          close(calibrate(calibration, r.score), fixture.calibrated[i] as number);
        });
      });

      it('estimates the confusion sums and metrics from the window counters', () => {
        const calibration = fitCalibration({ positiveClass: fixture.positiveClass }, fixture.baseline);
        const counters = counted(fixture);
        const sums = confusionSums(calibration as NonNullable<typeof calibration>, counters);
        close(exactQuotient(sums.tp), fixture.confusion.tp);
        close(exactQuotient(sums.fp), fixture.confusion.fp);
        close(exactQuotient(sums.fn), fixture.confusion.fn);
        close(exactQuotient(sums.tn), fixture.confusion.tn);
        const estimate = estimateMetrics(calibration as NonNullable<typeof calibration>, counters);
        expect(estimate.samples).toBe(fixture.estimated.samples);
        expect(estimate.clipped).toEqual(fixture.clipped);
        for (const metric of ['accuracy', 'precision', 'recall', 'f1'] as const)
          close(estimate[metric], fixture.estimated[metric]);
      });

      it('gives the same estimate whichever way the window is split into batches', () => {
        const calibration = fitCalibration({ positiveClass: fixture.positiveClass }, fixture.baseline);
        let merged: WindowCounters = {};
        for (let start = 0, size = 1; start < fixture.window.length; start += size, size = size * 2 + 1)
          merged = mergeCounters(merged, counted(fixture, fixture.window.slice(start, start + size)));
        const whole = estimateMetrics(calibration as NonNullable<typeof calibration>, counted(fixture));
        expect(estimateMetrics(calibration as NonNullable<typeof calibration>, merged)).toEqual(whole);
      });
    });
  }
});

describe('calibration pieces', () => {
  const calibration = { x: [0.1, 0.4, 0.4000001, 0.9], y: [0, 0.25, 0.5, 1] };

  it('puts a score below, above, or in the last piece whose first threshold it reaches', () => {
    expect(pieceOf(calibration, 0.05)).toBe('below');
    expect(pieceOf(calibration, 0.95)).toBe('above');
    expect(pieceOf(calibration, 0.1)).toBe(0);
    expect(pieceOf(calibration, 0.4)).toBe(1);
    expect(pieceOf(calibration, 0.5)).toBe(2);
    expect(pieceOf(calibration, 0.9)).toBe(2);
    expect(pieceOf({ x: [0.3] }, 0.3)).toBe(0);
  });

  it('sums each piece linearly: a piece of two scores averages their calibrated values', () => {
    const counter = new CbpeCounter({ positiveClass: 'yes', x: [0, 1], y: [0.2, 0.6], samples: 2 });
    counter.add('yes', 0.25);
    counter.add('yes', 0.75);
    const sums = confusionSums({ x: [0, 1], y: [0.2, 0.6] }, counter.counters());
    expect(exactQuotient(sums.tp)).toBe(0.8);
    expect(exactQuotient(sums.fp)).toBe(1.2);
    expect(exactQuotient(sums.fn)).toBe(0);
  });

  it('estimates nothing from no samples', () => {
    expect(estimateMetrics({ x: [0, 1], y: [0, 1] }, {})).toEqual({
      accuracy: null,
      precision: null,
      recall: null,
      f1: null,
      samples: 0,
      clipped: { below: 0, above: 0 },
    });
  });

  it('adds no column for a batch without a calibration', () => {
    const buckets = new CbpeBuckets(undefined);
    buckets.add(0, { prediction: 1, score: 0.5 });
    expect(buckets.columns(0)).toEqual({});
  });
});

describe('realised metrics of the positive class', () => {
  it('reads the per-class counters of joined actuals', () => {
    const realised = realisedMetrics('1', {
      n: 10,
      correct: 7,
      'a:1': 4,
      'p:1': 5,
      'tp:1': 3,
      'a:0': 6,
      'p:0': 5,
      'tp:0': 4,
    });
    expect(realised).toEqual({ accuracy: 0.7, precision: 0.6, recall: 0.75, f1: 6 / 9, samples: 10 });
    expect(realisedMetrics('1', {})).toBeUndefined();
  });
});

describe('records of a model with a positive class', () => {
  it('refuses predictions without a score or with one outside [0, 1], naming each', () => {
    const issues = new IssueList();
    checkScores({ positiveClass: 'yes' }, [{ score: 0.5 }, {}, { score: 1.5 }, { score: -0 }], issues);
    expect(issues.issues).toEqual([
      { path: 'records[1].score', message: expect.stringContaining('required') },
      { path: 'records[2].score', message: 'a probability, in [0, 1]' },
    ]);
  });

  it('asks nothing of models without a positive class', () => {
    const issues = new IssueList();
    checkCalibrationRecords({}, [{}], issues);
    expect(issues.count).toBe(0);
    expect(fitCalibration({}, [{ score: 0.5, actual: 1 }])).toBeUndefined();
  });

  it('refuses baseline records without an actual', () => {
    const issues = new IssueList();
    checkCalibrationRecords({ positiveClass: 1 }, [{ score: 0.2, actual: 0 }, { score: 0.3 }], issues);
    expect(issues.issues).toEqual([
      { path: 'records[1].actual', message: expect.stringContaining('required') },
    ]);
  });

  it(`refuses a calibration of more than ${MAX_CALIBRATION_THRESHOLDS} thresholds, and takes one of fewer`, () => {
    // One tied score per reduced fraction k/d (d ≤ 60), in increasing order: each a threshold.
    const fractions: [number, number][] = [];
    const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
    for (let d = 2; d <= 60; d++) for (let k = 1; k < d; k++) if (gcd(k, d) === 1) fractions.push([k, d]);
    fractions.sort((a, b) => a[0] / a[1] - b[0] / b[1]);
    const records = fractions.flatMap(([k, d], i) =>
      Array.from({ length: d }, (_, j) => ({ score: i / fractions.length, actual: j < k ? 'yes' : 'no' })),
    );
    expect(fractions.length).toBeGreaterThan(MAX_CALIBRATION_THRESHOLDS);
    let error: unknown;
    try {
      fitCalibration({ positiveClass: 'yes' }, records);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(HttpError);
    expect(error).toMatchObject({ statusCode: 400, issues: [{ path: 'records' }] });
    const fewer = records.filter((r) => r.score < 1000 / fractions.length);
    expect(fitCalibration({ positiveClass: 'yes' }, fewer)?.x).toHaveLength(1000);
  });
});

describe('the stored calibration', () => {
  it(`takes under 60 KB of JSON at ${MAX_CALIBRATION_THRESHOLDS} thresholds of the longest doubles`, () => {
    // Scores and probabilities written with 17 significant digits and an exponent.
    const x = Array.from(
      { length: MAX_CALIBRATION_THRESHOLDS },
      (_, i) => (1 + i / 3) * 1.2345678901234568e-300,
    );
    const y = Array.from(
      { length: MAX_CALIBRATION_THRESHOLDS },
      (_, i) => (i + 1 / 3) / (MAX_CALIBRATION_THRESHOLDS + 1),
    );
    const stored = JSON.stringify({ positiveClass: 'p'.repeat(256), x, y, samples: 200_000 });
    expect(Math.max(...x.map((v) => String(v).length))).toBeGreaterThanOrEqual(22);
    expect(Buffer.byteLength(stored)).toBeLessThan(60 * 1024);
  });
});

describe('exact sums of scores', () => {
  it('equal the sum of the exact values, for subnormal, tiny, ordinary and extreme scores', () => {
    let seed = 7;
    const uniform = () => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return (seed + 0.5) / 2 ** 32;
    };
    const scores = [0, 1, 5e-324, 2 ** -1022, 2 ** -1022 - 5e-324, 1 - 2 ** -53, 0.1, 0.5];
    for (let i = 0; i < 1000; i++) scores.push(uniform() * 2 ** -Math.floor(uniform() * 1080));
    const sum = new ScoreSum();
    for (const score of scores) sum.add(score);
    expect(sum.exact()).toBe(scores.reduce((total, score) => total + exactValue(score), 0n));
  });
});
