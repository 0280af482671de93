/**
 * How often an unanswered human step is asked again (each time escalated to MLOps) before the
 * incident fails. A module of its own: the human steps' requests read it without loading the
 * automated steps.
 */
export const MAX_REMINDERS = 2;
