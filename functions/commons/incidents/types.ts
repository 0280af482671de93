/**
 * The records of the governance workflow: an incident (one per breach episode of a model), the
 * steps it went through, the candidate versions submitted for it and their re-validation, the
 * promotion, Operations' verification and the post-implementation review.
 */

/**
 * What an incident is about: a monitoring `breach` (opened by an evaluation), predictions served
 * by an `unapproved_version`, or a due `baseline_review`. A model has at most one open incident
 * of each kind. Incidents written before kinds existed have none: they are breaches.
 */
export const incidentKinds = ['breach', 'unapproved_version', 'baseline_review'] as const;

export type IncidentKind = (typeof incidentKinds)[number];

/** `open` while the workflow runs; every other status is final. */
export type IncidentStatus = 'open' | 'resolved' | 'false_alarm' | 'abandoned' | 'reverted' | 'failed';

export type ClosedStatus = Exclude<IncidentStatus, 'open' | 'failed'>;

/** One entry of an incident's step history. */
export interface HistoryEntry {
  readonly step: string;
  readonly event: 'entered' | 'left';
  readonly at: string;
  /** How the step ended (`left` only): the decision, `passed`, `promoted`... */
  readonly outcome?: string;
  /** Who ended it, for human steps. */
  readonly by?: string;
}

/** A retrained version submitted through `POST /v1/incidents/{id}/candidate`. */
export interface Candidate {
  readonly version: string;
  readonly artifactUri: string;
  readonly metrics: Record<string, number>;
  readonly scopeChanged: boolean;
  readonly notes: string;
  /** Production when the candidate came in: promotion only replaces this very version. */
  readonly productionVersion: string;
  readonly cycle: number;
  readonly submittedAt: string;
  readonly submittedBy: string;
}

/** One acceptance check of a candidate's metric. */
export interface ValidationCheck {
  readonly metric: string;
  readonly rule: 'present' | 'min' | 'max' | 'maxRelativeDrop';
  /** The bound of the rule (min, max, or the largest accepted relative drop). */
  readonly limit?: number;
  readonly actual?: number;
  /** Production's value of the metric, for `maxRelativeDrop`. */
  readonly baseline?: number;
  readonly passed: boolean;
  readonly message: string;
}

/** The automated re-validation of a candidate, kept as evidence. */
export interface ValidationReport {
  readonly candidateVersion: string;
  readonly productionVersion: string;
  readonly passed: boolean;
  readonly checks: readonly ValidationCheck[];
  /** Every metric either side has, side by side (informational). */
  readonly comparison: readonly {
    readonly metric: string;
    readonly candidate?: number;
    readonly production?: number;
  }[];
  readonly checkedAt: string;
}

export interface Promotion {
  readonly version: string;
  readonly previousVersion: string;
  readonly promotedAt: string;
}

/** The automatic part of Operations' verification: the new version's latest evaluation. */
export interface VerificationCheck {
  readonly status: 'healthy' | 'breach' | 'no_data';
  readonly evaluationId?: string;
  readonly reasons: readonly string[];
  readonly checkedAt: string;
}

export interface Rollback {
  readonly restoredVersion: string;
  readonly rolledBackVersion: string;
  readonly at: string;
}

/** The post-implementation review (SOP 6.8), with its sign-off. */
export interface PostImplementationReview {
  readonly summary: string;
  readonly rootCause: string;
  readonly lessonsLearned: string;
  readonly actions: string;
  readonly submittedBy: string;
  readonly submittedAt: string;
  readonly approvedBy?: string;
  readonly approvedAt?: string;
}

export interface IncidentRecord {
  readonly incidentId: string;
  readonly modelId: string;
  /** `breach` when the stored record has none (see {@link incidentKinds}); reads fill it in. */
  readonly kind: IncidentKind;
  /** Production version when the incident opened. */
  readonly version: string;
  /**
   * The evaluation that opened a breach, and every breach evaluation attached while it was open.
   * Incidents of other kinds have no evaluation (`evaluations` is empty).
   */
  readonly evaluationId?: string;
  readonly evaluations: readonly string[];
  /** What opened an incident of another kind than `breach` (bounded by its kind), also in its first audit event. */
  readonly details?: Record<string, unknown>;
  readonly reasons: readonly string[];
  readonly status: IncidentStatus;
  readonly currentStep: string;
  readonly history: readonly HistoryEntry[];
  readonly openedAt: string;
  readonly updatedAt: string;
  readonly closedAt?: string;
  readonly timeToResolutionSeconds?: number;
  readonly retrainingCycles: number;
  readonly executionArn?: string;
  readonly candidate?: Candidate;
  readonly candidates?: readonly Candidate[];
  /** The latest candidate's re-validation, and every one of this incident. */
  readonly validationReport?: ValidationReport;
  readonly validationReports?: readonly ValidationReport[];
  readonly promotion?: Promotion;
  readonly stabilisationEndsAt?: string;
  readonly verification?: VerificationCheck;
  readonly rollbacks?: readonly Rollback[];
  readonly pir?: PostImplementationReview;
  readonly failure?: { readonly error: string; readonly cause: string; readonly at: string };
  /** A baseline review (kind `baseline_review`): the baseline, the decision, the new baseline. */
  readonly baselineReview?: BaselineReview;
  /**
   * An `unapproved_version` incident: the batches served by unapproved versions (the first 50,
   * `{batch} ({version})`, the first one the opener), and how many there were in all.
   */
  readonly batches?: readonly string[];
  readonly batchCount?: number;
  /** Lists that reached their limit and no longer grow (`history`, `rollbacks`); the audit trail has every event. */
  readonly truncated?: readonly string[];
}

/** The quarterly review of a model's baseline (SOP Appendix A). */
export interface BaselineReview {
  /** The baseline under review: its version, when it was fitted and last reviewed. */
  readonly baselineVersion: number;
  readonly fittedAt: string;
  readonly reviewedAt?: string;
  /** `governance.baselineReviewDays`, and when the review fell due. */
  readonly reviewDays: number;
  readonly dueAt: string;
  /** `kept` (recorded as reviewed) or `replaced` (a new baseline, approved by QA, is in use). */
  readonly outcome?: 'kept' | 'replaced';
  readonly comment?: string;
  readonly decidedBy?: string;
  readonly decidedAt?: string;
  /** The latest baseline fitted for the review, until QA approves it (then `adoptedAt`). */
  readonly newBaseline?: {
    readonly baselineVersion: number;
    readonly createdAt: string;
    readonly records: number;
    readonly metrics: Record<string, number>;
    readonly submittedBy: string;
  };
  readonly adoptedAt?: string;
}

/** One append-only audit event. */
export interface AuditEvent {
  readonly at: string;
  readonly type: string;
  /** Who: a recipient's address, `admin`, `model:{keyId}`, or `workflow`. */
  readonly actor: string;
  readonly step?: string;
  readonly details?: Record<string, unknown>;
  readonly sourceIp?: string;
  readonly userAgent?: string;
}

/** SOP roles that approvers are registered under (the model's `approvers`). */
export const roles = [
  'dataScienceLead',
  'devTeam',
  'qa',
  'irbLiaison',
  'legal',
  'mlops',
  'operations',
  'support',
] as const;

export type Role = (typeof roles)[number];
