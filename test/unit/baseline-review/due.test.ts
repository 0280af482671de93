import { describe, expect, it } from 'vitest';
import {
  baselineReviewDueAt,
  DEFAULT_BASELINE_REVIEW_DAYS,
  isBaselineReviewDue,
} from '../../../functions/commons/baseline-review/due.ts';
import { modelInputSchema } from '../../../functions/commons/registry/schema.ts';

const emails = ['a@example.com'];
const model = {
  name: 'Churn',
  owner: 'ds@example.com',
  task: 'classification',
  features: [{ name: 'age', type: 'numerical' }],
  approvers: Object.fromEntries(
    ['dataScienceLead', 'devTeam', 'qa', 'irbLiaison', 'legal', 'mlops', 'operations', 'support'].map(
      (role) => [role, emails],
    ),
  ),
};

describe('baseline review period', () => {
  it('defaults to 90 days and refuses a period outside 1 to 3650 days, naming the field', () => {
    expect(modelInputSchema.parse(model).governance.baselineReviewDays).toBe(DEFAULT_BASELINE_REVIEW_DAYS);
    expect(DEFAULT_BASELINE_REVIEW_DAYS).toBe(90);
    for (const days of [0, 3651, 1.5, '90']) {
      const parsed = modelInputSchema.safeParse({ ...model, governance: { baselineReviewDays: days } });
      expect(parsed.success, String(days)).toBe(false);
      expect(parsed.error?.issues.map((issue) => issue.path.join('.'))).toEqual([
        'governance.baselineReviewDays',
      ]);
    }
    expect(
      modelInputSchema.parse({ ...model, governance: { baselineReviewDays: 1 } }).governance,
    ).toMatchObject({
      baselineReviewDays: 1,
    });
  });

  it('falls due the period after the later of fitting and the last review', () => {
    const governance = { baselineReviewDays: 30 } as never;
    const fitted = '2026-01-01T00:00:00.000Z';
    expect(baselineReviewDueAt({ governance, baselineCreatedAt: fitted })?.toISOString()).toBe(
      '2026-01-31T00:00:00.000Z',
    );
    expect(
      baselineReviewDueAt({
        governance,
        baselineCreatedAt: fitted,
        baselineReviewedAt: '2026-02-10T00:00:00.000Z',
      })?.toISOString(),
    ).toBe('2026-03-12T00:00:00.000Z');
    // A review recorded before a newer fitting does not pull the date back.
    expect(
      baselineReviewDueAt({
        governance,
        baselineCreatedAt: '2026-03-01T00:00:00.000Z',
        baselineReviewedAt: fitted,
      })?.toISOString(),
    ).toBe('2026-03-31T00:00:00.000Z');
    expect(baselineReviewDueAt({ governance })).toBeUndefined();
    expect(
      isBaselineReviewDue({ governance, baselineCreatedAt: fitted }, new Date('2026-01-30T23:59:59Z')),
    ).toBe(false);
    expect(
      isBaselineReviewDue({ governance, baselineCreatedAt: fitted }, new Date('2026-01-31T00:00:00Z')),
    ).toBe(true);
    // A model stored before the setting existed reviews every 90 days.
    expect(baselineReviewDueAt({ governance: {} as never, baselineCreatedAt: fitted })?.toISOString()).toBe(
      '2026-04-01T00:00:00.000Z',
    );
  });
});
