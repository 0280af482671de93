/**
 * The records an incident keeps at most, each an item of its own read whole by the incident's
 * detail and by the workflow: bounded where they are written, so that no read of them ever finds
 * more than its bound.
 *
 * - `candidates`: one a retraining cycle; 200 is ten times the most cycles a model allows before
 *   the Data Science Lead is asked again (`maxRetrainingCycles` ≤ 20). A 201st is refused (409).
 *   The re-validation reports follow: one per candidate (`steps.ts` keys it by its candidate).
 * - `approvals`: one per request of a human step (a first one and `maxReminders` reminders). The
 *   workflow has no bound of its own on them (the Data Science Lead may send an incident back to
 *   retraining again and again, a review may be sent back as often), so the 1,001st request fails
 *   its step and the incident takes the failure path (MLOps alerted); at about fifteen requests a
 *   retraining cycle that is over sixty cycles.
 */
export const INCIDENT_RECORD_LIMITS = { candidates: 200, approvals: 1000 } as const;

export type CountedRecord = keyof typeof INCIDENT_RECORD_LIMITS;
