import { describe, expect, it } from 'vitest';
import { openApiDocument } from '../../../functions/commons/api/openapi.ts';
import { KPI_MAX_DAYS, kpiPeriodSchema } from '../../../functions/commons/reports/period.ts';

const DAY = 86_400_000;
const to = '2026-06-30T00:00:00.000Z';
const daysBefore = (days: number) => new Date(Date.parse(to) - days * DAY).toISOString();

describe('KPI report period', () => {
  it('defaults from to 30 days before to, and keeps a period of up to 366 days', () => {
    expect(kpiPeriodSchema.parse({ to })).toEqual({ from: daysBefore(30), to });
    expect(kpiPeriodSchema.parse({ from: daysBefore(KPI_MAX_DAYS), to })).toEqual({
      from: daysBefore(KPI_MAX_DAYS),
      to,
    });
  });

  it('refuses a longer period or a reversed one, naming from', () => {
    const longer = kpiPeriodSchema.safeParse({
      from: new Date(Date.parse(daysBefore(366)) - 1).toISOString(),
      to,
    });
    const reversed = kpiPeriodSchema.safeParse({ from: to, to: daysBefore(1) });
    expect(longer.error?.issues).toEqual([
      expect.objectContaining({ path: ['from'], message: expect.stringContaining('at most 366 days') }),
    ]);
    expect(reversed.error?.issues).toEqual([
      expect.objectContaining({ path: ['from'], message: 'from must be before to' }),
    ]);
  });

  it('is documented in the OpenAPI document: both parameters and the bound', () => {
    // biome-ignore lint/suspicious/noExplicitAny: the test reads whatever the document holds
    const report = (openApiDocument() as { paths: Record<string, Record<string, any>> }).paths[
      '/v1/models/{modelId}/report'
    ]?.get;
    expect(report.summary).toContain('at most 366 days');
    expect(report.parameters.filter((p: { in: string }) => p.in === 'query')).toEqual([
      expect.objectContaining({ name: 'from', schema: expect.objectContaining({ format: 'date-time' }) }),
      expect.objectContaining({ name: 'to', schema: expect.objectContaining({ format: 'date-time' }) }),
    ]);
  });
});
