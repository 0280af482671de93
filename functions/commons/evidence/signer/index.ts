import { KmsEvidenceSigner } from './kms.ts';
import type { EvidenceSigner } from './port.ts';

export type { EvidenceSigner } from './port.ts';

const keyId = process.env.EVIDENCE_KEY_ID;
const retired = (process.env.EVIDENCE_RETIRED_KEY_IDS ?? '')
  .split(',')
  .map((id) => id.trim())
  .filter(Boolean);
let configured: EvidenceSigner | undefined = keyId ? new KmsEvidenceSigner(keyId, retired) : undefined;

/** Installs the signer to use; the local runtime registers its data-dir key before it serves. */
export function configureEvidenceSigner(signer: EvidenceSigner): void {
  configured = signer;
}

/** The signer of this environment: KMS when EVIDENCE_KEY_ID is set, else the configured one. */
export function evidenceSigner(): EvidenceSigner {
  if (!configured) {
    throw new Error(
      'No evidence signer: set EVIDENCE_KEY_ID (AWS) or configure one (the local runtime does)',
    );
  }
  return configured;
}
