import { describe, expect, it } from 'vitest';
import { niceStep, trendChart } from '../../../functions/commons/reports/charts.ts';

/** The attributes of every element of one kind in an SVG string, in document order. */
function elements(svg: string, tag: string): Record<string, string>[] {
  return [...svg.matchAll(new RegExp(`<${tag}\\b([^>]*)>`, 'g'))].map((match) =>
    Object.fromEntries([...(match[1] as string).matchAll(/([\w-]+)="([^"]*)"/g)].map((a) => [a[1], a[2]])),
  );
}

const points = [
  { at: '2026-01-01T03:00:00.000Z', value: 0.3, flagged: true },
  { at: '2026-01-01T01:00:00.000Z', value: 0.05 },
  { at: '2026-01-01T02:00:00.000Z', value: null },
  { at: '2026-01-01T00:00:00.000Z', value: 0.04 },
];

describe('trend charts', () => {
  it('draws one dot per known value in time order, flagged ones red, with the threshold and the markers', () => {
    // Act
    const svg = trendChart({
      title: 'Drift of age',
      points,
      threshold: { value: 0.1, label: 'threshold' },
      markers: [{ at: '2026-01-01T02:30:00.000Z', label: 'incident' }],
    }).value;

    // Assess
    const dots = elements(svg, 'circle');
    expect(dots.map((d) => [d['data-at'], d['data-value'], d.fill])).toEqual([
      ['2026-01-01T00:00:00.000Z', '0.04', '#3b6ea5'],
      ['2026-01-01T01:00:00.000Z', '0.05', '#3b6ea5'],
      ['2026-01-01T03:00:00.000Z', '0.3', '#b42318'],
    ]);
    const xs = dots.map((d) => Number(d.cx));
    expect(xs).toEqual([...xs].sort((a, b) => a - b));
    const [threshold] = elements(svg, 'line').filter((l) => l.class === 'threshold');
    const [marker] = elements(svg, 'line').filter((l) => l.class === 'marker');
    // The threshold line sits between the dots below it and the one above it (SVG y grows down).
    const ys = dots.map((d) => Number(d.cy));
    expect(Number(threshold?.y1)).toBeLessThan(ys[0] as number);
    expect(Number(threshold?.y1)).toBeGreaterThan(ys[2] as number);
    // The incident at 02:30 lies between the 01:00 and the 03:00 dots.
    expect(Number(marker?.x1)).toBeGreaterThan(xs[1] as number);
    expect(Number(marker?.x1)).toBeLessThan(xs[2] as number);
    expect(svg).toContain('data-threshold="0.1"');
    expect(svg).toContain('aria-label="Drift of age; threshold 0.1"');
    expect(svg).not.toMatch(/<script|href=|NaN|Infinity/);
  });

  it('draws counts as bars from zero, one per point', () => {
    const svg = trendChart({
      title: 'Samples',
      kind: 'bars',
      points: [
        { at: '2026-01-01T00:00:00.000Z', value: 80, flagged: true },
        { at: '2026-01-01T01:00:00.000Z', value: 400 },
      ],
      threshold: { value: 100, label: 'minimum' },
    }).value;
    const bars = elements(svg, 'rect');
    expect(bars.map((b) => [b['data-value'], b.fill])).toEqual([
      ['80', '#b42318'],
      ['400', '#3b6ea5'],
    ]);
    // Both bars end on the same baseline; the taller value has the taller bar.
    const bottoms = bars.map((b) => Number(b.y) + Number(b.height));
    expect(bottoms[0]).toBeCloseTo(bottoms[1] as number, 0);
    expect(Number(bars[1]?.height)).toBeGreaterThan(Number(bars[0]?.height) * 4);
    // The value axis is labelled in round steps up to 400.
    const labels = [...svg.matchAll(/text-anchor="end">([^<]+)</g)].map((m) => m[1]);
    expect(labels).toEqual(['0', '100', '200', '300', '400']);
  });

  it('escapes every title and label', () => {
    const svg = trendChart({
      title: '<img src=x onerror=alert(1)>',
      points: [{ at: '2026-01-01T00:00:00.000Z', value: 1 }],
      markers: [{ at: '2026-01-01T00:00:00.000Z', label: '"><script>' }],
    }).value;
    expect(svg).not.toContain('<img');
    expect(svg).not.toContain('<script');
    expect(svg).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it('says so when there is no value to draw', () => {
    const svg = trendChart({ title: 'f1', points: [{ at: '2026-01-01T00:00:00.000Z', value: null }] }).value;
    expect(svg).toContain('No value yet');
    expect(elements(svg, 'circle')).toEqual([]);
  });

  it('picks round steps for the value axis', () => {
    expect([0.01, 0.11, 0.225, 0.3, 90, 0].map(niceStep)).toEqual([0.01, 0.2, 0.25, 0.5, 100, 0.25]);
  });
});
