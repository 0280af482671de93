/**
 * Registered models at most: the 10,000 models of docs/scale.md. Registration refuses a new
 * model past it (`putModel`), and a background job reads no more: past it the job is
 * refused (an error and `ReadLimitExceeded`), never done for some models only, but for the
 * scheduled evaluation, which evaluates the first ones (`listFirstModels`).
 */
export const MAX_MODELS = 10_000;
