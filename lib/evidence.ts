/**
 * The evidence signing key and the one role allowed to sign with it, named once for both stacks:
 * the data stack's key policy admits the role by name (it cannot refer to the service stack,
 * which is deployed after it), and the service stack gives that name to the evidence function's
 * role.
 */
export function evidenceSignerRoleName(region: string): string {
  return `vigil-evidence-signer-${region}`;
}

/**
 * The key generation (CDK context `vigil:evidenceKeyGeneration`, 1 by default). Asymmetric KMS
 * keys do not rotate: raising the generation creates a new key that signs from then on, and the
 * key it replaces is retained, to be listed in `vigil:retiredEvidenceKeys` so that its public
 * key stays in the JWK Set.
 */
export function evidenceKeyGeneration(context: unknown): number {
  const generation = context === undefined ? 1 : Number(context);
  if (!Number.isInteger(generation) || generation < 1) {
    throw new Error('vigil:evidenceKeyGeneration must be a whole number from 1');
  }
  return generation;
}

/** `vigil:retiredEvidenceKeys`: ARNs of the keys of earlier generations (JSON list or array). */
export function retiredEvidenceKeys(context: unknown): string[] {
  const value: unknown = typeof context === 'string' ? JSON.parse(context) : (context ?? []);
  if (
    !Array.isArray(value) ||
    !value.every((arn) => typeof arn === 'string' && /^arn:aws[\w-]*:kms:/.test(arn))
  ) {
    throw new Error('vigil:retiredEvidenceKeys must be a list of KMS key ARNs');
  }
  return value as string[];
}

/** Partition key prefix of chain events (functions/commons/evidence/keys.ts). */
export { EVENTS_PREFIX as evidenceEventsPrefix } from '../functions/commons/evidence/keys.ts';
