import { approvedVersions } from '#commons/telemetry/versions';

/**
 * Whether a batch's version is unapproved: what ingest asks of every batch, in a module of its
 * own so that the incident code it opens (`unapproved.ts`) loads only for such a batch.
 */

/** The served version is neither production nor, during a stabilisation, the previous one. */
export function isUnapproved(
  model: Parameters<typeof approvedVersions>[0],
  version: string | undefined,
  now = Date.now(),
): boolean {
  if (version === undefined) return false;
  const approved = approvedVersions(model, now);
  return approved.length > 0 && !approved.includes(version);
}
