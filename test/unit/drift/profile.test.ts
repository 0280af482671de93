import { describe, expect, it } from 'vitest';
import {
  analyzeDatasets,
  boundCounters,
  type CategoricalProfile,
  ColumnCounter,
  type ColumnDrift,
  countValue,
  evaluateProfile,
  fitReferenceProfile,
  mergeCounters,
  type NumericalProfile,
  type NumericalStats,
  OTHER_CATEGORY,
  type ProfileEstimates,
  profileChart,
  type ReferenceProfile,
  type WindowCounters,
} from '#drift/index';
import { ksStatisticSorted } from '#drift/ks';
import { compareNumerical, wassersteinSorted } from '#drift/numerical';
import { sortedCopy } from '#drift/sort';
import { decodeCell, loadFixtures, prng, toRows } from './support.ts';

function count(profile: ReferenceProfile, values: Iterable<unknown>): WindowCounters {
  const counters: WindowCounters = {};
  for (const value of values) countValue(profile, value, counters);
  return counters;
}

type Estimated = NumericalStats & ProfileEstimates;

describe('ColumnCounter', () => {
  it.each(loadFixtures().map((f) => [f.name, f] as const))(
    'writes exactly the counters of countValue value by value, on golden fixture %s',
    (_, fixture) => {
      const { report } = analyzeDatasets(toRows(fixture.reference), toRows(fixture.current), fixture.options);
      for (const column of report.columns) {
        const profile = fitReferenceProfile(
          (fixture.reference[column.name] ?? []).map(decodeCell),
          column.type,
        );
        const values = [...(fixture.current[column.name] ?? []).map(decodeCell), null, 'not a number', 0];
        const counter = new ColumnCounter(profile);
        for (const value of values) counter.add(value);
        const expected = count(profile, values);
        expect(Object.keys(expected).length).toBeGreaterThan(0);
        expect(counter.counters()).toStrictEqual(expected);
        expect(counter.countersJson()).toBe(JSON.stringify(counter.counters()));
      }
    },
  );

  it('counts repeated texts, missing ones and more distinct texts than it remembers as countValue does', () => {
    const profile = fitReferenceProfile(['a', 'b', 'a', 'NaN', null], 'categorical', { maxCategories: 1500 });
    const values: unknown[] = [];
    for (let i = 0; i < 1200; i++)
      values.push(`v${i}`, 'a', ' NaN ', '', 'b', 'null', '1e999', 7, true, null);
    const counter = new ColumnCounter(profile);
    for (const value of values) counter.add(value);
    const expected = count(profile, values);
    expect(expected.miss).toBe(1200 * 5);
    expect(counter.counters()).toStrictEqual(expected);
  });

  it('writes its counters as JSON.stringify does: escaped names, overflowed sums, nothing counted', () => {
    const numerical = fitReferenceProfile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 'numerical');
    const huge = new ColumnCounter(numerical);
    for (const value of [1e200, 1e200, -3.5, 0, -0, 5e-324, null, 'nan']) huge.add(value);
    expect(huge.counters().sq).toBe(Number.POSITIVE_INFINITY);
    expect(huge.countersJson()).toBe(JSON.stringify(huge.counters()));
    expect(JSON.parse(huge.countersJson()).sq).toBeNull();

    const categorical = fitReferenceProfile(['a', 'b"\\', 'é\u2028'], 'categorical');
    const names = new ColumnCounter(categorical);
    for (const value of ['b"\\', 'é\u2028', 'new\nline', '\ud800', null, true]) names.add(value);
    expect(names.countersJson()).toBe(JSON.stringify(names.counters()));

    for (const profile of [numerical, categorical]) {
      expect(new ColumnCounter(profile).countersJson()).toBe('{}');
      const missing = new ColumnCounter(profile);
      missing.add(null);
      expect(missing.countersJson()).toBe('{"miss":1}');
    }
  });

  it('caps new categories as countValue does, whatever they are called', () => {
    const profile = fitReferenceProfile(['a', 'b', 'a', null], 'categorical', { maxCategories: 3 });
    const values = ['a', 'x', 'y', OTHER_CATEGORY, 'z', 'x', null, true, 7, 'b', 'w', 'z'];
    const counter = new ColumnCounter(profile);
    for (const value of values) counter.add(value);
    const expected = count(profile, values);
    expect(expected[`c:${OTHER_CATEGORY}`]).toBeGreaterThan(0);
    expect(counter.counters()).toStrictEqual(expected);
  });
});

describe('profiles reproduce the raw-data statistics exactly', () => {
  const fixtures = loadFixtures();

  it.each(fixtures.map((f) => [f.name, f] as const))('on golden fixture %s', (_, fixture) => {
    const { report } = analyzeDatasets(toRows(fixture.reference), toRows(fixture.current), fixture.options);
    for (const raw of report.columns) {
      const referenceValues = (fixture.reference[raw.name] ?? []).map(decodeCell);
      const currentValues = (fixture.current[raw.name] ?? []).map(decodeCell);
      const profile = fitReferenceProfile(referenceValues, raw.type, { bins: fixture.options.bins });
      const window = count(profile, currentValues);
      const fromProfile = evaluateProfile(raw.name, profile, window);
      expectSameBinnedStats(fromProfile, raw);
    }
  });

  it('on random data sets, whatever the order and sharding of the counting', () => {
    const random = prng(2024);
    for (let trial = 0; trial < 40; trial++) {
      const n = random.int(1, 600);
      const shift = random.normal() * 0.5;
      const discrete = random.uniform() < 0.3;
      const draw = (offset: number) => () => (discrete ? random.int(0, 8) : random.normal() + offset);
      const reference = random.array(random.int(1, 800), draw(0));
      const current = random.array(n, draw(shift));
      const bins = random.pick([3, 5, 10, 20]);
      const raw = analyzeDatasets(
        Array.from(reference, (x) => ({ x })),
        Array.from(current, (x) => ({ x })),
        { bins, columnTypes: { x: 'numerical' } },
      ).report.columns[0] as ColumnDrift;
      const profile = fitReferenceProfile(Array.from(reference), 'numerical', { bins });
      const shards = [0, 1, 2].map((s) =>
        count(
          profile,
          Array.from(current).filter((_, i) => i % 3 === s),
        ),
      );
      const merged = shards.reduce(mergeCounters, {});
      expectSameBinnedStats(evaluateProfile('x', profile, merged), raw);
      expect(profileChart('x', profile, merged).bins).toEqual(
        analyzeDatasets(
          Array.from(reference, (x) => ({ x })),
          Array.from(current, (x) => ({ x })),
          { bins, columnTypes: { x: 'numerical' } },
        ).charts[0]?.bins,
      );
    }
  });

  it('after a JSON round trip of the profile', () => {
    const random = prng(8);
    const reference = Array.from({ length: 500 }, () => random.normal() * 3);
    const current = Array.from({ length: 400 }, () => random.normal() * 3 + 1);
    const profile = fitReferenceProfile(reference, 'numerical');
    const stored = JSON.parse(JSON.stringify(profile)) as ReferenceProfile;
    expect(stored).toEqual(profile);
    expect(evaluateProfile('x', stored, count(stored, current))).toEqual(
      evaluateProfile('x', profile, count(profile, current)),
    );
  });
});

function expectSameBinnedStats(fromProfile: ColumnDrift, raw: ColumnDrift) {
  expect(fromProfile.type).toBe(raw.type);
  expect(fromProfile.reference).toEqual(raw.reference);
  expect(fromProfile.current).toEqual(raw.current);
  expect(fromProfile.method).toBe(raw.method);
  expect(fromProfile.threshold).toBe(raw.threshold);
  if (raw.stats === null) {
    expect(fromProfile.stats).toBeNull();
    expect(fromProfile.reason).toBe(raw.reason);
    return;
  }
  const p = fromProfile.stats as unknown as Record<string, unknown>;
  const r = raw.stats as unknown as Record<string, unknown>;
  for (const key of ['psi', 'kl', 'jensenShannon', 'hellinger'])
    expect(p[key], `${raw.name} ${key}`).toBe(r[key]);
  if (raw.type === 'categorical') {
    for (const key of ['chiSquare', 'newCategories', 'missingCategories'])
      expect(p[key], `${raw.name} ${key}`).toEqual(r[key]);
    expect(fromProfile.score).toBe(raw.score);
    expect(fromProfile.drifted).toBe(raw.drifted);
  }
}

// ---- KS and Wasserstein bounds ----

interface Scenario {
  name: string;
  reference: Float64Array;
  current: Float64Array;
}

/** Random and adversarial pairs of samples, all seeded. */
function scenarios(seed: number, trials: number): Scenario[] {
  const random = prng(seed);
  const out: Scenario[] = [];
  const normal = (n: number, mean = 0, sd = 1) => random.array(n, () => mean + sd * random.normal());
  for (let t = 0; t < trials; t++) {
    const nR = random.int(1, 1500);
    const nC = random.int(1, 1500);
    const reference = normal(nR, 0, random.pick([1, 1e-6, 1e6]));
    const sorted = sortedCopy(reference);
    const sd = Math.max(Math.abs(sorted[sorted.length - 1] as number), 1e-300);
    const pickReference = () => sorted[random.int(0, sorted.length - 1)] as number;
    const kind = t % 12;
    let current: Float64Array;
    switch (kind) {
      case 0: // same distribution
        current = normal(nC, 0, sd / 3);
        break;
      case 1: // shift and spread
        current = normal(nC, random.normal() * sd, sd * random.uniform() * 2);
        break;
      case 2: // exactly on reference values (ties with the sketch edges)
        current = random.array(nC, pickReference);
        break;
      case 3: // just below reference values
        current = random.array(nC, () => {
          const v = pickReference();
          return v - Math.abs(v) * 1e-15 - 1e-300;
        });
        break;
      case 4: // all outside the reference range, on both sides
        current = random.array(
          nC,
          () => (random.uniform() < 0.5 ? -1 : 1) * sd * (2 + random.uniform() * 50),
        );
        break;
      case 5: // one point mass inside the reference range
        current = new Float64Array(nC).fill(pickReference() + sd * 1e-3);
        break;
      case 6: // two point masses at the ends of one reference gap
        {
          const i = random.int(0, Math.max(0, sorted.length - 2));
          const lo = sorted[i] as number;
          const hi = sorted[Math.min(i + 1, sorted.length - 1)] as number;
          current = random.array(nC, () => (random.uniform() < 0.5 ? lo : hi - (hi - lo) * 1e-9));
        }
        break;
      case 7: // heavy tails
        current = random.array(nC, () => Math.tan(Math.PI * (random.uniform() - 0.5)) * sd);
        break;
      case 8: // single value
        current = Float64Array.of(pickReference());
        break;
      default: // a mixture near the reference
        current = random.array(nC, () =>
          random.uniform() < 0.7 ? pickReference() : random.normal() * sd * 2,
        );
    }
    out.push({ name: `#${t} kind ${kind}`, reference, current });
  }
  // Discrete, constant and two-valued references; a large offset with a tiny spread.
  const ints = (n: number, max: number) => random.array(n, () => random.int(0, max));
  out.push({ name: 'discrete', reference: ints(900, 4), current: ints(700, 5) });
  out.push({
    name: 'constant reference',
    reference: new Float64Array(300).fill(7),
    current: normal(200, 7, 2),
  });
  out.push({
    name: 'constant both',
    reference: new Float64Array(50).fill(1),
    current: new Float64Array(60).fill(1),
  });
  out.push({ name: 'two values', reference: ints(400, 1), current: normal(300, 0.5, 1) });
  out.push({ name: 'offset', reference: normal(1000, 1e9, 1e-3), current: normal(800, 1e9 + 1e-4, 1e-3) });
  out.push({ name: 'one each', reference: Float64Array.of(3), current: Float64Array.of(4) });
  return out;
}

describe('KS and Wasserstein from profiles stay within their reported bounds', () => {
  const cases = scenarios(77, 240);

  it.each(cases.map((c) => [c.name, c] as const))('%s', (_, { reference, current }) => {
    const profile = fitReferenceProfile(Array.from(reference), 'numerical') as NumericalProfile;
    const window = count(profile, current);
    const stats = evaluateProfile('x', profile, window).stats as Estimated;

    const r = sortedCopy(reference);
    const c = sortedCopy(current);
    const d = ksStatisticSorted(r, c);
    const w = wassersteinSorted(r, c);
    const normed = compareNumerical(reference, current, 10).stats.wassersteinNormed;

    expect(Math.abs(stats.ks.statistic - d)).toBeLessThanOrEqual(stats.ks.errorBound + 1e-12);
    const slack = 1e-9 * (w + stats.wassersteinErrorBound) + 1e-300;
    expect(Math.abs(stats.wasserstein - w)).toBeLessThanOrEqual(stats.wassersteinErrorBound + slack);
    expect(Math.abs(stats.wassersteinNormed - normed)).toBeLessThanOrEqual(
      stats.wassersteinNormedErrorBound * (1 + 1e-9) + 1e-9 * normed + 1e-300,
    );

    // The documented size of the KS bound: at most the largest current share of one sketch bin.
    const largestShare = Math.max(
      ...Object.entries(window)
        .filter(([key]) => /^s\d+$/.test(key))
        .map(([, n]) => n / current.length),
    );
    expect(stats.ks.errorBound).toBeLessThanOrEqual(largestShare + 1e-15);
    // The KS estimate is D at the sketch edges, a lower bound.
    expect(stats.ks.statistic).toBeLessThanOrEqual(d + 1e-15);
    expect(stats.ks.pValue).toBeGreaterThanOrEqual(0);
    expect(stats.ks.pValue).toBeLessThanOrEqual(1);
  });

  it('are exact where the reference is constant and tight under a clear shift', () => {
    const constant = fitReferenceProfile(new Array(100).fill(2), 'numerical');
    const exact = evaluateProfile('x', constant, count(constant, [1, 2, 3, 5])).stats as Estimated;
    expect(exact.wassersteinErrorBound).toBe(0);
    expect(exact.wasserstein).toBeCloseTo((1 + 0 + 1 + 3) / 4, 15);

    const random = prng(9);
    const reference = Array.from({ length: 5000 }, () => random.normal());
    const shifted = Array.from({ length: 5000 }, () => random.normal() + 0.5);
    const profile = fitReferenceProfile(reference, 'numerical');
    const stats = evaluateProfile('x', profile, count(profile, shifted)).stats as Estimated;
    expect(stats.wassersteinErrorBound).toBeLessThan(0.02 * stats.wasserstein);
    expect(stats.ks.errorBound).toBeLessThanOrEqual(0.02);
    const raw = compareNumerical(Float64Array.from(reference), Float64Array.from(shifted), 10).stats;
    expect(Math.abs(stats.wasserstein - raw.wasserstein)).toBeLessThan(0.002 * raw.wasserstein);
    expect(Math.abs(stats.ks.statistic - raw.ks.statistic)).toBeLessThan(0.005);
  });
});

describe('window counters', () => {
  it('are flat additive numbers under short keys: at most 2·(S+8)+3 for a numerical feature', () => {
    const random = prng(4);
    const profile = fitReferenceProfile(
      Array.from({ length: 3000 }, () => random.normal()),
      'numerical',
    ) as NumericalProfile;
    expect(profile.sketch.edges.length).toBe(107);
    const window = count(profile, [
      ...Array.from({ length: 20000 }, () => random.normal() * 3),
      null,
      'abc',
      Number.NaN,
    ]);
    const keys = Object.keys(window);
    expect(keys.every((k) => /^(miss|sum|sq|[so]\d{1,3})$/.test(k))).toBe(true);
    expect(keys.length).toBeLessThanOrEqual(2 * (100 + 8) + 3);
    expect(keys.length).toBeGreaterThan(210);
    expect(window.miss).toBe(3);
    expect(Object.values(window).every(Number.isFinite)).toBe(true);
  });

  it('merge by adding every key', () => {
    expect(mergeCounters({ s1: 2, miss: 1 }, { s1: 3, o1: 0.5 })).toEqual({ s1: 5, miss: 1, o1: 0.5 });
  });

  it('reject counters that do not belong to the profile', () => {
    const profile = fitReferenceProfile([1, 2, 3, 4, 5, 6], 'numerical');
    expect(() => evaluateProfile('x', profile, { s999: 1 })).toThrow(/does not match/);
  });

  it('give null statistics with a reason when a side is empty', () => {
    const empty = fitReferenceProfile([null, Number.NaN], 'numerical');
    const window = count(empty, [1, 2, 3]);
    expect(evaluateProfile('x', empty, window)).toMatchObject({
      stats: null,
      score: null,
      drifted: false,
      reason: 'no non-missing values in the reference',
      reference: { count: 0, missingShare: 1 },
      current: { count: 3, missingShare: 0 },
    });
    const profile = fitReferenceProfile([1, 2, 3, 4, 5, 6], 'numerical');
    expect(evaluateProfile('x', profile, { miss: 4 }).reason).toBe('no non-missing values in the current');
  });

  it('apply a user method and threshold', () => {
    const profile = fitReferenceProfile([1, 2, 3, 4, 5, 6, 7, 8], 'numerical');
    const result = evaluateProfile('x', profile, count(profile, [5, 6, 7, 8, 9, 10]), {
      method: 'psi',
      threshold: 0.2,
    });
    expect(result.method).toBe('psi');
    expect(result.score).toBe((result.stats as NumericalStats).psi);
  });
});

describe('categorical profiles', () => {
  it('track at most maxCategories reference categories, the rest as __other__', () => {
    const values = ['a', 'a', 'a', 'b', 'b', 'c', 'd', null];
    const profile = fitReferenceProfile(values, 'categorical', { maxCategories: 2 }) as CategoricalProfile;
    expect(profile).toMatchObject({
      categories: ['__other__', 'a', 'b'],
      counts: [2, 3, 2],
      count: 7,
      missing: 1,
    });
    // c was a reference category too: once the reference overflowed, unknown means __other__.
    const window = count(profile, ['c', 'a', 'zz']);
    expect(window).toEqual({ 'c:__other__': 2, 'c:a': 1 });
    const result = evaluateProfile('c', profile, window);
    expect(result.stats && 'newCategories' in result.stats ? result.stats.newCategories : null).toEqual([]);
  });

  it('track the most common categories whose names fit maxCategoryBytes as JSON, the next one as __other__', () => {
    // Each name takes 5 bytes as JSON ("aaa" with its quotes): 15 bytes hold three, not four.
    const values = ['aaa', 'aaa', 'aaa', 'aaa', 'bbb', 'bbb', 'bbb', 'ccc', 'ccc', 'ddd'];
    const at = fitReferenceProfile(values, 'categorical', { maxCategoryBytes: 20 }) as CategoricalProfile;
    const under = fitReferenceProfile(values, 'categorical', { maxCategoryBytes: 19 }) as CategoricalProfile;
    expect(at.categories).toEqual(['aaa', 'bbb', 'ccc', 'ddd']);
    expect(under).toMatchObject({ categories: ['__other__', 'aaa', 'bbb', 'ccc'], counts: [1, 4, 3, 2] });
    // Escaped characters count as JSON writes them: "\u0001" is 6 bytes.
    const escaped = fitReferenceProfile(['\u0001', '\u0001', 'x'], 'categorical', {
      maxCategoryBytes: 8,
    }) as CategoricalProfile;
    expect(escaped.categories).toEqual(['\u0001', '__other__']);
    expect(() => fitReferenceProfile(values, 'categorical', { maxCategoryBytes: 0 })).toThrow(/bytes/);
  });

  it('cut a merged window to the new categories the profile tracks, as an evaluation does', () => {
    const profile = fitReferenceProfile(['a', 'b'], 'categorical', {
      maxCategoryBytes: 8,
    }) as CategoricalProfile;
    const counters = {
      miss: 1,
      'c:a': 2,
      'c:x': 5,
      'c:y': 3,
      'c:z': 1,
      'c:zz': 1,
      [`c:${OTHER_CATEGORY}`]: 4,
    };

    const bounded = boundCounters(profile, counters);

    // 8 bytes hold two new names ("x", "y"); the rest joins __other__. Nothing is lost.
    expect(bounded).toEqual({ miss: 1, 'c:a': 2, 'c:x': 5, 'c:y': 3, [`c:${OTHER_CATEGORY}`]: 6 });
    expect(evaluateProfile('c', profile, bounded)).toEqual(evaluateProfile('c', profile, counters));
    const numerical = fitReferenceProfile([1, 2, 3, 4, 5, 6, 7], 'numerical');
    const window = count(numerical, [1, 9]);
    expect(boundCounters(numerical, window)).toBe(window);
  });

  it('cap new categories per counting map and fold the excess of merged windows into __other__', () => {
    const profile = fitReferenceProfile(['a', 'b'], 'categorical', {
      maxCategories: 2,
    }) as CategoricalProfile;
    const first = count(profile, ['x1', 'x2', 'x3', 'x1']);
    expect(first).toEqual({ 'c:x1': 2, 'c:x2': 1, [`c:${OTHER_CATEGORY}`]: 1 });
    const second = count(profile, ['y1', 'y2', 'a']);
    const merged = mergeCounters(first, second);
    const result = evaluateProfile('c', profile, merged);
    expect(result.current.count).toBe(7);
    // x1 (2) and then x2/y1/y2 by code point stay; the rest joins __other__, which is never listed.
    expect(result.stats && 'newCategories' in result.stats ? result.stats.newCategories : []).toEqual([
      'x1',
      'x2',
    ]);
    expect(result.stats && 'missingCategories' in result.stats ? result.stats.missingCategories : []).toEqual(
      ['b'],
    );
  });

  it('draw the same chart as the raw data path', () => {
    const ref = ['a', 'b', 'b', 'c'];
    const cur = ['b', 'c', 'c', 'd'];
    const profile = fitReferenceProfile(ref, 'categorical');
    const raw = analyzeDatasets(
      ref.map((c) => ({ c })),
      cur.map((c) => ({ c })),
    ).charts[0];
    expect(profileChart('c', profile, count(profile, cur))).toEqual(raw);
  });
});
