/**
 * The DynamoDB client's base64 decoder (binary attributes such as window deltas): what the SDK's
 * own decoder accepts and returns, checked by encoding the bytes again rather than by matching a
 * regular expression over the text, which costs more than the decoding itself on attributes of
 * tens of kilobytes. Only canonical base64, as DynamoDB writes it, is accepted.
 */
export function decodeBase64(text: string): Uint8Array {
  const buffer = Buffer.from(text, 'base64');
  if (buffer.toString('base64') !== text) throw new TypeError('Invalid base64 string.');
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}
