import { describe, expect, it } from 'vitest';
import {
  isLoopbackAddress,
  isPublicAddress,
  mayDeliverTo,
} from '../../../functions/commons/webhooks/address.ts';
import { urlProblem } from '../../../functions/commons/webhooks/send.ts';

describe('addresses a webhook may reach', () => {
  it.each([
    ['93.184.215.14', true],
    ['8.8.8.8', true],
    ['2606:4700:4700::1111', true],
    ['2a00:1450:4001:80b::200e', true],
    ['127.0.0.1', false],
    ['127.255.0.9', false],
    ['0.0.0.0', false],
    ['0.1.2.3', false],
    ['10.0.0.1', false],
    ['172.16.0.1', false],
    ['172.31.255.255', false],
    ['192.168.1.1', false],
    ['100.64.0.1', false],
    ['100.127.255.254', false],
    ['169.254.169.254', false],
    ['169.254.0.1', false],
    ['224.0.0.1', false],
    ['239.255.255.250', false],
    ['255.255.255.255', false],
    ['192.0.2.1', false],
    ['198.18.0.1', false],
    ['::', false],
    ['::1', false],
    ['fe80::1', false],
    ['fe80::1%eth0', false],
    ['fc00::1', false],
    ['fd12:3456:789a::1', false],
    ['ff02::1', false],
    ['::ffff:127.0.0.1', false],
    ['::ffff:7f00:1', false],
    ['::ffff:169.254.169.254', false],
    ['::ffff:10.0.0.1', false],
    ['::ffff:8.8.8.8', false],
    ['::127.0.0.1', false],
    ['64:ff9b::a9fe:a9fe', false],
    ['2002:a9fe:a9fe::1', false],
    ['2001:db8::1', false],
    ['fd00:ec2::254', false],
    ['localhost', false],
    ['not-an-address', false],
  ])('%s is public: %s', (address, expected) => {
    expect(isPublicAddress(address)).toBe(expected);
  });

  it('allows loopback only where it is allowed (the local runtime), and nothing else private', () => {
    // Act / Assess
    for (const loopback of ['127.0.0.1', '127.0.0.2', '::1', '::ffff:127.0.0.1']) {
      expect(isLoopbackAddress(loopback), loopback).toBe(true);
      expect(mayDeliverTo(loopback, true), loopback).toBe(true);
      expect(mayDeliverTo(loopback, false), loopback).toBe(false);
    }
    for (const other of ['10.0.0.1', '169.254.169.254', '::ffff:10.0.0.1', 'fe80::1']) {
      expect(isLoopbackAddress(other), other).toBe(false);
      expect(mayDeliverTo(other, true), other).toBe(false);
    }
  });

  it('checks URLs at registration: https, no credentials, no private literal, http to loopback locally only', () => {
    // Act / Assess
    expect(urlProblem('https://hooks.example.com/x', false)).toBeUndefined();
    expect(urlProblem('http://hooks.example.com/x', false)).toBe('must be https');
    expect(urlProblem('https://user:pw@hooks.example.com/x', false)).toMatch(/user name/);
    expect(urlProblem('https://169.254.169.254/latest/meta-data', false)).toMatch(/public address/);
    expect(urlProblem('https://[::ffff:a9fe:a9fe]/', false)).toMatch(/public address/);
    expect(urlProblem('https://localhost/x', false)).toMatch(/this machine/);
    expect(urlProblem('http://127.0.0.1:8080/x', false)).toBe('must be https');
    expect(urlProblem('http://127.0.0.1:8080/x', true)).toBeUndefined();
    expect(urlProblem('http://localhost:8080/x', true)).toBeUndefined();
    expect(urlProblem('http://10.0.0.1/x', true)).toMatch(/https/);
    expect(urlProblem('https://10.0.0.1/x', true)).toMatch(/public address/);
    expect(urlProblem('gopher://example.com', true)).toMatch(/https/);
    expect(urlProblem('not a url', false)).toBe('not a valid URL');
  });
});
