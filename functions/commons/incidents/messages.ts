import type { ModelRecord } from '#commons/registry/store';
import type { IncidentRecord } from './types.ts';

/**
 * Pieces of the emails the workflow sends. Plain text: SNS email delivers text, and every
 * address sees the same words in any mail client.
 */
export function modelLabel(model: Pick<ModelRecord, 'name' | 'modelId'>): string {
  return `${model.name} (${model.modelId})`;
}

export function bulletList(lines: readonly string[], empty = '(none)'): string {
  return lines.length ? lines.map((line) => `- ${line}`).join('\n') : empty;
}

/** The incident in a few lines: model, production version when it opened, why it opened. */
export function incidentSummary(
  incident: IncidentRecord,
  model: Pick<ModelRecord, 'name' | 'modelId'>,
): string {
  return [
    `Incident:  ${incident.incidentId} (opened ${incident.openedAt})`,
    `Model:     ${modelLabel(model)}, production version ${incident.version} when it opened`,
    'Why it opened:',
    bulletList(incident.reasons),
  ].join('\n');
}

export const signature = '-- \nVigil, post-production monitoring and governance (SOP-1013-01-AI)';

/** Seconds as the largest sensible unit: `90 seconds`, `2 hours`, `3 days`. */
export function humanDuration(seconds: number): string {
  const units: [number, string][] = [
    [86400, 'day'],
    [3600, 'hour'],
    [60, 'minute'],
  ];
  for (const [size, unit] of units) {
    if (seconds >= size && seconds % size === 0) return plural(seconds / size, unit);
  }
  if (seconds >= 3600) return plural(Math.round(seconds / 3600), 'hour');
  return plural(seconds, 'second');
}

function plural(n: number, unit: string): string {
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}
