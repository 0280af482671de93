/**
 * Key layout of the governance table, in one place. Every record of the registry and of the
 * governance workflow is addressed through these helpers, never by string literals elsewhere.
 */
export const governanceKeys = {
  model: (modelId: string) => ({ pk: `MODEL#${modelId}`, sk: '#MODEL' }),
  modelsIndex: 'MODELS',
  /** How many models are registered, so that registering one past the limit is refused. */
  modelCount: { pk: 'MODELS', sk: '#COUNT' },
  apiKey: (hash: string) => ({ pk: `KEY#${hash}`, sk: '#KEY' }),
  modelKey: (modelId: string, keyId: string) => ({ pk: `MODEL#${modelId}`, sk: `KEY#${keyId}` }),
  modelKeyPrefix: 'KEY#',
  version: (modelId: string, version: string) => ({ pk: `MODEL#${modelId}`, sk: `VERSION#${version}` }),
  versionPrefix: 'VERSION#',
  baseline: (modelId: string, baselineVersion: number) => ({
    pk: `MODEL#${modelId}`,
    sk: `BASELINE#${String(baselineVersion).padStart(6, '0')}`,
  }),
  baselineFeature: (modelId: string, baselineVersion: number, feature: string) => ({
    pk: `BASELINE#${modelId}#${baselineVersion}`,
    sk: `FEATURE#${feature}`,
  }),
  /** User feedback of a model, in time order. */
  feedback: (modelId: string, receivedAt: string, feedbackId: string) => ({
    pk: `FEEDBACK#${modelId}`,
    sk: `${receivedAt}#${feedbackId}`,
  }),
  feedbackPartition: (modelId: string) => `FEEDBACK#${modelId}`,
  /** The delivery state of an approver's address (its email subscription). */
  subscriber: (address: string) => ({ pk: `SUBSCRIBER#${address}`, sk: '#SUBSCRIBER' }),
  subscribersIndex: 'SUBSCRIBERS',
  baselineFeaturesPartition: (modelId: string, baselineVersion: number) =>
    `BASELINE#${modelId}#${baselineVersion}`,
} as const;
