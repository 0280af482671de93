import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import {
  newWebhookSecret,
  secretKey,
  signatureHeaders,
  signPayload,
} from '../../../functions/commons/webhooks/signing.ts';

describe('webhook signatures (Standard Webhooks)', () => {
  it('matches the specification example', () => {
    // Prepare: the example of the Standard Webhooks specification.
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

    // Act
    const signature = signPayload(secret, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}');

    // Assess
    expect(signature).toBe('g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('makes headers the reference library verifies, and that fail for another body or secret', () => {
    // Prepare
    const secret = newWebhookSecret();
    const body = JSON.stringify({
      type: 'incident.opened',
      timestamp: '2026-01-01T00:00:00Z',
      data: { a: 1 },
    });
    const timestamp = Math.floor(Date.now() / 1000);

    // Act
    const headers = signatureHeaders(secret, 'msg_abc', timestamp, body);

    // Assess
    expect(headers['webhook-id']).toBe('msg_abc');
    expect(headers['webhook-timestamp']).toBe(String(timestamp));
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(secret).verify(`${body} `, headers)).toThrow();
    expect(() => new Webhook(newWebhookSecret()).verify(body, headers)).toThrow();
    expect(headers['webhook-signature']).toBe(
      new Webhook(secret).sign('msg_abc', new Date(timestamp * 1000), body),
    );
  });

  it('makes secrets of whsec_ and 32 random bytes, and refuses keys that are not', () => {
    // Act
    const a = newWebhookSecret();
    const b = newWebhookSecret();

    // Assess
    expect(a).not.toBe(b);
    expect(secretKey(a)).toHaveLength(32);
    expect(() => secretKey('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw')).toThrow(/whsec_/);
    expect(() => secretKey(`whsec_${Buffer.alloc(8).toString('base64')}`)).toThrow(/24 bytes/);
  });
});
