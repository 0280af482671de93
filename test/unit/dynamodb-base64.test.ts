import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeBase64 } from '#clients/base64';

describe("the DynamoDB client's base64 decoder", () => {
  it('decodes what DynamoDB sends: canonical base64 of any length', () => {
    for (const length of [0, 1, 2, 3, 4, 5, 1000, 65_537]) {
      const bytes = randomBytes(length);
      const decoded = decodeBase64(bytes.toString('base64'));
      expect(decoded).toBeInstanceOf(Uint8Array);
      expect(Buffer.from(decoded).equals(bytes)).toBe(true);
    }
  });

  it('refuses what is not base64, as the SDK does', () => {
    for (const text of ['abc', 'ab=c', 'a*bc', 'YW Jj', 'YWJj\n', 'YW-_', 'YQ===']) {
      expect(() => decodeBase64(text)).toThrow('Invalid base64 string.');
    }
  });
});
