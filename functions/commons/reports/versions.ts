import type { EvaluationRecord } from '../evaluation/store.ts';
import { html, type SafeHtml, table } from '../html/layout.ts';
import type { IncidentRecord } from '../incidents/types.ts';
import { MAX_COUNTED_VERSIONS } from '../telemetry/versions.ts';

/** The served versions of an evaluation's window, as its HTML report shows them. */
export function versionsSection(
  evaluation: Pick<EvaluationRecord, 'versions' | 'productionVersion'>,
): SafeHtml {
  const versions = evaluation.versions ?? [];
  const total = versions.reduce((sum, v) => sum + v.predictions, 0);
  return html`<section class="versions-section" aria-labelledby="versions">
<h2 id="versions">Served versions</h2>
${
  versions.length
    ? table(
        `Predictions of the window by the model version that served them (production: ${evaluation.productionVersion ?? 'none'}; "none": sent without a version)`,
        ['Version', 'Predictions', 'Share'],
        versions.map((v) => [
          v.version === evaluation.productionVersion ? `${v.version} (production)` : v.version,
          v.predictions,
          total > 0 ? `${((v.predictions / total) * 100).toFixed(1)} %` : '',
        ]),
      )
    : html`<p class="muted">No prediction in this window.</p>`
}
</section>`;
}

/** What the model report shows of served versions over a period. */
export interface VersionsReport {
  /** Each version the period's evaluations saw served (the first 50 by name), with where it was seen. */
  readonly served: {
    version: string;
    evaluations: number;
    firstWindowStart: string;
    lastWindowEnd: string;
  }[];
  /** The `unapproved_version` incidents opened in the period. */
  readonly unapprovedVersionIncidents: {
    incidentId: string;
    servedVersion: string;
    firstBatch: string;
    status: string;
    openedAt: string;
  }[];
}

const MAX_REPORTED_VERSIONS = 50;

export function versionsReport(
  evaluations: readonly Pick<EvaluationRecord, 'versions' | 'windowStart' | 'windowEnd'>[],
  opened: readonly Pick<IncidentRecord, 'incidentId' | 'kind' | 'details' | 'status' | 'openedAt'>[],
): VersionsReport {
  const served = new Map<string, VersionsReport['served'][number]>();
  for (const evaluation of evaluations) {
    for (const { version } of evaluation.versions ?? []) {
      const seen = served.get(version);
      if (seen) {
        seen.evaluations++;
        if (evaluation.windowStart < seen.firstWindowStart) seen.firstWindowStart = evaluation.windowStart;
        if (evaluation.windowEnd > seen.lastWindowEnd) seen.lastWindowEnd = evaluation.windowEnd;
      } else {
        served.set(version, {
          version,
          evaluations: 1,
          firstWindowStart: evaluation.windowStart,
          lastWindowEnd: evaluation.windowEnd,
        });
      }
    }
  }
  return {
    served: [...served.values()]
      .sort((a, b) => (a.version < b.version ? -1 : a.version > b.version ? 1 : 0))
      .slice(0, Math.max(MAX_REPORTED_VERSIONS, MAX_COUNTED_VERSIONS)),
    unapprovedVersionIncidents: opened
      .filter((incident) => incident.kind === 'unapproved_version')
      .map((incident) => ({
        incidentId: incident.incidentId,
        servedVersion: String(incident.details?.servedVersion ?? ''),
        firstBatch: String(incident.details?.firstBatch ?? ''),
        status: incident.status,
        openedAt: incident.openedAt,
      })),
  };
}
