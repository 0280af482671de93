import { describe, expect, it } from 'vitest';
import { renderHtmlReport } from '#drift/html';
import {
  analyzeDatasets,
  countValue,
  evaluateProfile,
  fitReferenceProfile,
  profileChart,
} from '#drift/index';
import { prng } from './support.ts';

const random = prng(12);
const reference = Array.from({ length: 400 }, (_, i) => ({
  age: 40 + 10 * random.normal(),
  plan: random.pick(['basic', 'pro', 'team']),
  'weird <name> & "quotes"': random.pick(['x', 'y']),
  empty: i % 2 ? 'a' : 'b',
}));
const current = Array.from({ length: 300 }, () => ({
  age: 45 + 10 * random.normal(),
  plan: random.pick(['basic', 'pro', 'enterprise']),
  'weird <name> & "quotes"': random.pick(['x', 'y']),
  empty: null,
}));
const { report, charts } = analyzeDatasets(reference, current);
const html = renderHtmlReport(
  { ...report, reference: { path: 'ref.csv', rows: 400 }, current: { path: 'cur.csv', rows: 300 } },
  charts,
  {
    title: 'Weekly <drift> check',
  },
);

describe('renderHtmlReport', () => {
  it('is one accessible HTML document with a title, headings and a summary table', () => {
    expect(html.startsWith('<!doctype html>\n<html lang="en">')).toBe(true);
    expect(html).toContain('<title>Weekly &#60;drift&#62; check</title>');
    expect(html).toContain('<h1>Weekly &#60;drift&#62; check</h1>');
    expect(html.match(/<h2 /g)?.length).toBe(1 + report.columns.length);
    expect(html).toContain('<th scope="col">Column</th>');
    expect(html.match(/<th scope="row"><a href="#column-\d">/g)?.length).toBe(report.columns.length);
    expect(html).toContain('<code>ref.csv</code> (400 rows)');
  });

  it('draws exactly one labelled SVG chart per column, with both distributions', () => {
    const svgs = html.match(/<svg class="chart"[^>]*>/g) ?? [];
    expect(svgs).toHaveLength(report.columns.length);
    for (const svg of svgs) {
      expect(svg).toMatch(/role="img"/);
      expect(svg).toMatch(/aria-label="Distribution of /);
    }
    expect(html).toContain('data-column="weird &#60;name&#62; &#38; &#34;quotes&#34;"');
    expect(html).not.toContain('<name>');
    const ageChart = html.slice(
      html.indexOf('data-column="age"'),
      html.indexOf('</svg>', html.indexOf('data-column="age"')),
    );
    expect(ageChart.match(/<rect [^>]*fill="#3b6ea5"><title>/g)).toHaveLength(10);
    expect(ageChart.match(/<rect [^>]*fill="#e07b24"><title>/g)).toHaveLength(10);
  });

  it('shows the verdicts, the statistics and why a column has none', () => {
    expect(html).toMatch(/Dataset drift detected|No dataset drift/);
    expect(html).toContain('<caption>Statistics of age</caption>');
    expect(html).toContain('Chi-square p-value');
    expect(html).toContain('New categories');
    expect(html).toContain('enterprise');
    expect(html).toContain('No statistics: no non-missing values in the current.');
    expect(html).toContain('<span class="badge none">no data</span>');
  });

  it('needs nothing from outside: no script, no external resource', () => {
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(|src=/i);
    expect(html.replaceAll('xmlns="http://www.w3.org/2000/svg"', '')).not.toMatch(/https?:/);
  });

  it('renders reports built from profiles, with their error bounds', () => {
    const profile = fitReferenceProfile(
      reference.map((r) => r.age),
      'numerical',
    );
    const window = {};
    for (const row of current) countValue(profile, row.age, window);
    const column = evaluateProfile('age', profile, window);
    const page = renderHtmlReport(
      {
        reference: { rows: 400 },
        current: { rows: 300 },
        columns: [column],
        dataset: {
          driftedColumns: column.drifted ? 1 : 0,
          columns: 1,
          driftedShare: column.drifted ? 1 : 0,
          drifted: column.drifted,
        },
      },
      [profileChart('age', profile, window)],
    );
    expect(page).toContain('<title>Vigil drift report</title>');
    expect(page.match(/<svg class="chart"/g)).toHaveLength(1);
    expect(page).toMatch(/KS statistic D<\/th><td class="num">[0-9.e-]+ ± [0-9.e-]+/);
    expect(page).toMatch(/Wasserstein<\/th><td class="num">[0-9.e-]+ ± /);
  });
});
