import { describe, expect, it } from 'vitest';
import { renderHtmlReport } from '#drift/html';
import { analyzeDatasets } from '#drift/index';
import type { QualityCheck } from '../../../functions/commons/quality/checks.ts';
import {
  fdrRuleText,
  qualityApprovalTable,
  qualityReportSection,
} from '../../../functions/commons/reports/quality-html.ts';

const checks: QualityCheck[] = [
  { feature: 'age', check: 'range', value: 0.031, limit: 0, ok: false },
  { feature: 'age', check: 'missing', value: 0.02, limit: 0.05, ok: true },
  { feature: 'plan', check: 'allowed', value: null, limit: 0, ok: null, skipped: 'not-counted' },
];

const reference = Array.from({ length: 300 }, (_, i) => ({ a: i % 7, b: i % 3 ? 'x' : 'y' }));
const current = Array.from({ length: 200 }, (_, i) => ({ a: (i % 7) + 3, b: 'x' }));

describe('data-quality checks in reports', () => {
  it('shows every check with its observed share, limit and verdict in the evaluation report', () => {
    const { report, charts } = analyzeDatasets(reference, current, { columnTypes: { a: 'numerical' } });
    const page = renderHtmlReport(report, charts, { sections: qualityReportSection(checks).value });
    expect(page).toContain('<h2 id="quality">Data quality</h2>');
    expect(page).toContain(
      '<tr><td>age</td><td>out of range</td><td>3.1%</td><td>≤ 0%</td><td><span class="badge drift">fail</span></td></tr>',
    );
    expect(page).toContain('<td>2%</td><td>≤ 5%</td><td><span class="badge stable">pass</span></td>');
    expect(page).toContain(
      '<span class="badge none">not judged</span> not counted: the data arrived before the rule',
    );
    expect(qualityReportSection(undefined).value).toBe('');
    expect(qualityReportSection([]).value).toBe('');
  });

  it('shows them on approval pages', () => {
    const table = qualityApprovalTable(checks).value;
    expect(table).toContain('<h3>Data quality</h3>');
    expect(table).toContain(
      '<td>age</td><td>out of range</td><td>3.1%</td><td>≤ 0%</td><td><span class="verdict bad">fail</span></td>',
    );
    expect(table).toContain(
      '<span class="muted">not judged: not counted: the data arrived before the rule</span>',
    );
  });
});

describe('the false discovery rate rule in reports', () => {
  it('adds the adjusted p-values and the rule to the drift report', () => {
    const { report, charts } = analyzeDatasets(reference, current, {
      columnTypes: { a: 'numerical' },
      datasetRule: { rule: 'fdr', alpha: 0.05 },
    });
    const page = renderHtmlReport(report, charts);
    expect(page).toContain('<th scope="col" class="num">Adjusted p (BH)</th>');
    expect(page).toContain(
      `the rule is Benjamini–Hochberg at false discovery rate 0.05: ${report.dataset.rejectedColumns} of 2 columns rejected`,
    );
    expect(page.match(/<td class="num">[^<]+<\/td><\/tr>/g)?.length).toBeGreaterThanOrEqual(2);
    const share = renderHtmlReport(analyzeDatasets(reference, current).report, charts);
    expect(share).not.toContain('Adjusted p');
  });

  it('words the rule for approval pages', () => {
    expect(fdrRuleText({ rule: 'fdr', alpha: 0.05, rejectedColumns: 2, columns: 8 })).toBe(
      'Benjamini–Hochberg at false discovery rate 0.05: 2 of 8 features rejected',
    );
    expect(fdrRuleText({ columns: 8 })).toBe('');
  });
});
