/**
 * Key layout of the evidence records in the governance table. Chain events live in a partition
 * of their own (`EVENTS#{incidentId}`), so that IAM can tell them apart by partition key alone
 * (`dynamodb:LeadingKeys`): functions may add events, none may update or delete them. Signed
 * heads are kept beside the incident.
 */
export const EVENTS_PREFIX = 'EVENTS#';

const pad = (seq: number) => String(seq).padStart(10, '0');

export const evidenceKeys = {
  eventsPartition: (incidentId: string) => `${EVENTS_PREFIX}${incidentId}`,
  /** One governance event of an incident's chain, in `seq` order. */
  event: (incidentId: string, seq: number) => ({
    pk: `${EVENTS_PREFIX}${incidentId}`,
    sk: `SEQ#${pad(seq)}`,
  }),
  eventPrefix: 'SEQ#',
  /** The signature of the chain's head at `seq` (the first one made is kept). */
  signedHead: (incidentId: string, seq: number) => ({
    pk: `INCIDENT#${incidentId}`,
    sk: `SIGNED_HEAD#${pad(seq)}`,
  }),
} as const;
