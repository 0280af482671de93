import * as z from '#commons/zod';
import {
  MAX_CATEGORY_LENGTH,
  type PredictionRecord,
  predictionBatchSchema,
  predictionRecordSchema,
} from './records.ts';

/**
 * The prediction batch of a parsed JSON body, checked without the schema's per-value work: a
 * batch of 500 records holds thousands of values, and the schema (records.ts) parses each into
 * a copy. This accepts only what the schema accepts as it is, a plain JSON object or array at
 * every level with every value of the types the schema allows, and answers undefined for
 * anything else (a wrong type, an unknown key, a string too long, a number JSON.parse read as
 * Infinity), so that the schema parses that body and names its faults. The schema has no
 * transforms or defaults, so its output is the body itself; the envelope's small fields
 * (`batchId`, `modelVersion`) and the records' optional `predictionId` and `timestamp` are
 * parsed by the schema's own field schemas.
 */
export function plainPredictionBatch(data: unknown): z.output<typeof predictionBatchSchema> | undefined {
  if (!isPlainObject(data)) return undefined;
  for (const key of Object.keys(data)) {
    if (key !== 'records' && key !== 'batchId' && key !== 'modelVersion') return undefined;
  }
  const { records, batchId, modelVersion } = data;
  if (!Array.isArray(records) || records.length === 0) return undefined;
  for (let i = 0; i < records.length; i++) if (!isPlainRecord(records[i])) return undefined;
  const batch: z.output<typeof predictionBatchSchema> = { records: records as PredictionRecord[] };
  if (batchId !== undefined) {
    batch.batchId = field(envelope.batchId, batchId) as string | undefined;
    if (batch.batchId === undefined) return undefined;
  }
  if (modelVersion !== undefined) {
    batch.modelVersion = field(envelope.modelVersion, modelVersion) as string | undefined;
    if (batch.modelVersion === undefined) return undefined;
  }
  return batch;
}

const envelope = predictionBatchSchema.shape;
const record = predictionRecordSchema.shape;

/** A field's output by its own schema, or undefined when the schema refuses it. */
function field(schema: z.core.$ZodType, value: unknown): unknown {
  const result = z.safeParse(schema, value);
  return result.success ? result.data : undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** A number z.number() accepts: finite (JSON.parse reads `1e400` as Infinity). */
const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/** A category or class label: a string of `min` to MAX_CATEGORY_LENGTH code units. */
const isCategory = (value: unknown, min: number) =>
  typeof value === 'string' && value.length >= min && value.length <= MAX_CATEGORY_LENGTH;

function isPlainRecord(value: unknown): boolean {
  if (!isPlainObject(value)) return false;
  let prediction = false;
  let features = false;
  for (const key of Object.keys(value)) {
    const member = value[key];
    switch (key) {
      case 'features':
        if (!isPlainFeatures(member)) return false;
        features = true;
        break;
      case 'prediction':
        if (!(isNumber(member) || isCategory(member, 1) || typeof member === 'boolean')) return false;
        prediction = true;
        break;
      case 'score':
        if (!isNumber(member)) return false;
        break;
      case 'predictionId':
        if (field(record.predictionId, member) !== member) return false;
        break;
      case 'timestamp':
        if (field(record.timestamp, member) !== member) return false;
        break;
      default:
        return false;
    }
  }
  return prediction && features;
}

function isPlainFeatures(value: unknown): boolean {
  if (!isPlainObject(value)) return false;
  for (const key of Object.keys(value)) {
    // An own `__proto__` key, which the schema would drop: parseBody refuses it before.
    if (key === '__proto__') return false;
    const member = value[key];
    if (!(member === null || isNumber(member) || isCategory(member, 0) || typeof member === 'boolean'))
      return false;
  }
  return true;
}
