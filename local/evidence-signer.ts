import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { type PublicJwk, publicJwk } from '../functions/commons/evidence/jws.ts';
import type { EvidenceSigner } from '../functions/commons/evidence/signer/port.ts';

/**
 * The evidence signing key on a laptop: a P-256 key in the data dir (`evidence-key.pem`, PKCS#8,
 * 0600), generated on first start. Retired keys (PEM, public or private) in `evidence-keys-retired/`
 * are published in the JWK Set and never sign. Signatures are ES256 as KMS makes them: ECDSA with
 * SHA-256, as `r || s`.
 */
export class LocalEvidenceSigner implements EvidenceSigner {
  private constructor(
    private readonly key: KeyObject,
    private readonly current: PublicJwk,
    private readonly retired: readonly PublicJwk[],
  ) {}

  static async open(dataDir: string): Promise<LocalEvidenceSigner> {
    const file = path.join(dataDir, 'evidence-key.pem');
    let pem: string;
    try {
      pem = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
      await writeFile(file, pem, { mode: 0o600, flag: 'wx' }).catch(
        async (written: NodeJS.ErrnoException) => {
          if (written.code !== 'EEXIST') throw written;
          pem = await readFile(file, 'utf8');
        },
      );
      await chmod(file, 0o600);
    }
    const key = createPrivateKey(pem);
    const retiredDir = path.join(dataDir, 'evidence-keys-retired');
    await mkdir(retiredDir, { recursive: true });
    const retired: PublicJwk[] = [];
    for (const name of (await readdir(retiredDir)).filter((n) => n.endsWith('.pem')).sort()) {
      retired.push(publicJwk(createPublicKey(await readFile(path.join(retiredDir, name), 'utf8'))));
    }
    return new LocalEvidenceSigner(key, publicJwk(createPublicKey(key)), retired);
  }

  async keyId(): Promise<string> {
    return this.current.kid;
  }

  async sign(message: Uint8Array): Promise<Uint8Array> {
    return sign('sha256', message, { key: this.key, dsaEncoding: 'ieee-p1363' });
  }

  async publicKeys(): Promise<PublicJwk[]> {
    return [this.current, ...this.retired.filter((key) => key.kid !== this.current.kid)];
  }
}
