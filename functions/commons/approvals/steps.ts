import type { Role } from '#commons/incidents/types';

/** What people see of a human step: the state machine decides the flow, this names it for them. */
export interface HumanStep {
  /**
   * `decision`: pick an option; `pir`: fill in the review form; `candidate`: post a new version to
   * the API; `baseline`: put a new baseline to the API.
   */
  readonly kind: 'decision' | 'pir' | 'candidate' | 'baseline';
  readonly title: string;
  /** The SOP-1013-01-AI section it implements. */
  readonly sop: string;
  /** What the recipients are asked, in a sentence or two. */
  readonly ask: string;
  /** Each option the definition offers, with its label and whether a comment must explain it. */
  readonly options: Record<string, { readonly label: string; readonly commentRequired?: boolean }>;
}

export const humanSteps = {
  investigate: {
    kind: 'decision',
    title: 'Investigate the alert',
    sop: '6.3',
    ask: 'Review the evaluation below: is this a real concept or data shift that needs retraining, or a random anomaly (a false alarm)?',
    options: {
      retrain: { label: 'Real drift: request retraining' },
      false_alarm: { label: 'False alarm: close the incident', commentRequired: true },
    },
  },
  unapproved_version: {
    kind: 'decision',
    title: 'Review a version that is not approved',
    sop: '6.1.1',
    ask: 'Predictions were served by a version that is neither the production version nor, during a stabilisation, the previous one. Review it as a candidate (re-validation, QA, the AI-IRB and Legal if its scope changed, promotion), or have MLOps and Operations revert to the production version?',
    options: {
      review: { label: 'Review it as a candidate' },
      revert: { label: 'Revert to the production version', commentRequired: true },
    },
  },
  retraining: {
    kind: 'candidate',
    title: 'Retrain the model',
    sop: '6.4.1-6.4.2',
    ask: 'Prepare new data or parameters, retrain, and submit the new version as a candidate.',
    options: {},
  },
  continue_or_abandon: {
    kind: 'decision',
    title: 'Retraining cycle limit reached',
    sop: '6.4',
    ask: 'The model reached its limit of retraining cycles for this incident. Retrain once more, or abandon the incident without a new version?',
    options: {
      retrain: { label: 'Retrain once more' },
      abandon: { label: 'Abandon: close the incident', commentRequired: true },
    },
  },
  qa: {
    kind: 'decision',
    title: 'QA validation of the candidate',
    sop: '6.4.3',
    ask: 'Validate the candidate in your test environment against the acceptance criteria. The automated re-validation below has passed.',
    options: {
      approve: { label: 'Approve the candidate' },
      // Whatever the pipeline declared as scopeChanged: a person can always ask for the review.
      approve_irb: { label: 'Approve, and send to the AI-IRB (then Legal)', commentRequired: true },
      reject: { label: 'Reject: back to retraining', commentRequired: true },
    },
  },
  irb: {
    kind: 'decision',
    title: 'AI-IRB review of a scope change',
    sop: '6.5.1-6.5.2',
    ask: "The candidate changes the model's scope, functionality or data usage, or QA sent it for review. Does it remain compliant with ethical and regulatory guidelines?",
    options: {
      approve: { label: 'Approve' },
      reject: { label: 'Reject: back to retraining', commentRequired: true },
    },
  },
  legal: {
    kind: 'decision',
    title: 'Legal/Compliance sign-off',
    sop: '6.5.3',
    ask: 'The candidate needs additional data or expands usage. Do privacy, intellectual property and regulatory constraints allow it?',
    options: {
      approve: { label: 'Sign off' },
      reject: { label: 'Reject: back to retraining', commentRequired: true },
    },
  },
  operations: {
    kind: 'decision',
    title: 'Operations verification of the new version',
    sop: '6.6.3',
    ask: 'The new version is in production and its stabilisation period is over. Is the environment stable, with no conflicts from the redeployment?',
    options: {
      confirm: { label: 'Confirm: stable' },
      rollback: { label: 'Roll back to the previous version', commentRequired: true },
    },
  },
  pir: {
    kind: 'pir',
    title: 'Post-implementation review',
    sop: '6.7.2, 6.8',
    ask: 'With QA and the AI Dev Team, assess the outcome and record the lessons learned.',
    options: { submit: { label: 'Submit the review' } },
  },
  pir_signoff: {
    kind: 'decision',
    title: 'Sign-off of the post-implementation review',
    sop: '6.8.2',
    ask: 'Does the review show ongoing ethical and regulatory alignment? Approve it, or send it back to the Data Science Lead.',
    options: {
      approve: { label: 'Approve the review' },
      reject: { label: 'Send it back', commentRequired: true },
    },
  },
  baseline_review: {
    kind: 'decision',
    title: 'Quarterly baseline review',
    sop: 'Appendix A',
    ask: 'The baseline that evaluations compare production with is due for its periodic review. Does it still represent the population the model serves? Keep it, or ask the AI Dev Team for a new one.',
    options: {
      keep: { label: 'Keep the baseline: record it as reviewed', commentRequired: true },
      replace: { label: 'Replace it: ask the AI Dev Team for a new baseline', commentRequired: true },
    },
  },
  new_baseline: {
    kind: 'baseline',
    title: 'Fit a new baseline',
    sop: 'Appendix A',
    ask: 'Fit a new baseline on reference data that represents production today, and put it to the model.',
    options: {},
  },
  baseline_qa: {
    kind: 'decision',
    title: 'QA approval of the new baseline',
    sop: 'Appendix A',
    ask: 'Check the new baseline (its records and metrics) before evaluations compare production with it.',
    options: {
      approve: { label: 'Approve: evaluations use the new baseline' },
      reject: { label: 'Reject: back to the AI Dev Team', commentRequired: true },
    },
  },
} as const satisfies Record<string, HumanStep>;

export type HumanStepId = keyof typeof humanSteps;

export function isHumanStep(step: string): step is HumanStepId {
  return Object.hasOwn(humanSteps, step);
}

/** The fields of the post-implementation review form, in order. */
export const pirFields = {
  summary: 'Summary of the incident and its outcome',
  rootCause: 'Root cause',
  lessonsLearned: 'Lessons learned',
  actions: 'Actions and owners',
} as const;

export type PirField = keyof typeof pirFields;

export const roleLabels: Record<Role, string> = {
  dataScienceLead: 'Data Science Lead',
  devTeam: 'AI Dev Team',
  qa: 'Quality Assurance',
  irbLiaison: 'AI-IRB Liaison',
  legal: 'Legal/Compliance',
  mlops: 'MLOps Engineer',
  operations: 'Operations Manager',
  support: 'Technical Support',
};
