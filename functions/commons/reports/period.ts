import * as z from '#commons/zod';

const DAY_MS = 86_400_000;

/** The longest period a KPI report covers: a year, leap day included. */
export const KPI_MAX_DAYS = 366;

/**
 * Evaluations a KPI report reads at most: a period holding more (a model evaluated every few
 * minutes over months) is refused rather than counted in part.
 */
export const KPI_MAX_EVALUATIONS = 10_000;

/**
 * Incidents a KPI report reads at most in each of its two index ranges: the incidents of every
 * model opened in the period (the incident index, filtered on the model), and the model's
 * incidents that ended in it (one closed in the period may have opened long before it). A period
 * holding more is refused rather than counted in part.
 */
export const KPI_MAX_INCIDENTS = 10_000;

/** The period of a KPI report when `from` is not given: the 30 days before `to`. */
export const KPI_DEFAULT_DAYS = 30;

/** The query parameters of `GET /v1/models/{id}/report`, as the OpenAPI document lists them. */
export const kpiPeriodQuerySchema = z.object({
  from: z.optional(z.iso.datetime({ offset: true })),
  to: z.optional(z.iso.datetime({ offset: true })),
});

type KpiPeriodQuery = z.output<typeof kpiPeriodQuerySchema>;

/** `to` defaults to now, `from` to {@link KPI_DEFAULT_DAYS} days before `to`. */
function periodOf(query: KpiPeriodQuery): { from: number; to: number } {
  const to = query.to ? Date.parse(query.to) : Date.now();
  return { from: query.from ? Date.parse(query.from) : to - KPI_DEFAULT_DAYS * DAY_MS, to };
}

/**
 * The period [from, to) of a KPI report, as ISO timestamps. A reversed period, or one longer than
 * {@link KPI_MAX_DAYS} days, is refused with a 400 naming `from`: the report reads every day's
 * totals and every evaluation of its period, so the period is bounded.
 */
export const kpiPeriodSchema = z.pipe(
  kpiPeriodQuerySchema.check(
    z.refine((query) => periodOf(query).from < periodOf(query).to, {
      message: 'from must be before to',
      path: ['from'],
    }),
    z.refine(
      (query) => {
        const { from, to } = periodOf(query);
        return from >= to || to - from <= KPI_MAX_DAYS * DAY_MS;
      },
      {
        message: `the period covers at most ${KPI_MAX_DAYS} days: from must be at most ${KPI_MAX_DAYS} days before to`,
        path: ['from'],
      },
    ),
  ),
  z.transform((query: KpiPeriodQuery) => {
    const { from, to } = periodOf(query);
    return { from: new Date(from).toISOString(), to: new Date(to).toISOString() };
  }),
);
