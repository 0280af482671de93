/**
 * Key layout of authorized agents' decisions in the governance table. The decision itself lives
 * on its approval (`APPROVAL#{id}`, `agentDecision`); two small items per decision let the
 * scheduled tick find what it has to do without reading any approval: announce it to the
 * step's role, and apply it once its overrule window has ended.
 */
export const agentKeys = {
  /** Decisions to apply, ordered by when each takes effect: `{effectiveAt}#{approvalId}`. */
  duePartition: 'AGENT_DUE',
  due: (effectiveAt: string, approvalId: string) => ({ pk: 'AGENT_DUE', sk: `${effectiveAt}#${approvalId}` }),
  /** Decisions to email to the step's role, in the order they were made: `{decidedAt}#{approvalId}`. */
  announcePartition: 'AGENT_ANNOUNCE',
  announce: (decidedAt: string, approvalId: string) => ({
    pk: 'AGENT_ANNOUNCE',
    sk: `${decidedAt}#${approvalId}`,
  }),
} as const;
