import { getBaseline } from '../registry/baseline-reads.ts';
import type { Calibration } from './calibration.ts';

const cache = new Map<string, Promise<Calibration | undefined>>();

/**
 * The calibration of a baseline, if it has one. Baselines never change, so it is cached for the
 * life of the execution environment, like the reference profiles: ingestion reads it once.
 */
export function baselineCalibration(
  modelId: string,
  baselineVersion: number,
): Promise<Calibration | undefined> {
  const key = `${modelId}#${baselineVersion}`;
  let cached = cache.get(key);
  if (!cached) {
    cached = getBaseline(modelId, baselineVersion).then((baseline) => baseline?.calibration);
    cached.catch(() => cache.delete(key));
    cache.set(key, cached);
  }
  return cached;
}
