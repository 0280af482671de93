import { afterEach, describe, expect, it } from 'vitest';
import { intEnv, optionalEnv, requireEnv } from '../../functions/commons/config.ts';

describe('configuration from the environment', () => {
  afterEach(() => {
    delete process.env.VIGIL_TEST_SETTING;
  });

  it('fails fast, naming the variable, when a required setting is missing or empty', () => {
    expect(() => requireEnv('VIGIL_TEST_SETTING')).toThrow(
      'Missing required environment variable VIGIL_TEST_SETTING',
    );
    process.env.VIGIL_TEST_SETTING = '';
    expect(() => requireEnv('VIGIL_TEST_SETTING')).toThrow(/VIGIL_TEST_SETTING/);
    process.env.VIGIL_TEST_SETTING = 'table-a';
    expect(requireEnv('VIGIL_TEST_SETTING')).toBe('table-a');
  });

  it('falls back for optional settings and validates integers', () => {
    expect(optionalEnv('VIGIL_TEST_SETTING', 'x')).toBe('x');
    expect(intEnv('VIGIL_TEST_SETTING', 7)).toBe(7);
    process.env.VIGIL_TEST_SETTING = '12';
    expect(intEnv('VIGIL_TEST_SETTING', 7)).toBe(12);
    process.env.VIGIL_TEST_SETTING = '1.5';
    expect(() => intEnv('VIGIL_TEST_SETTING', 7)).toThrow('must be an integer, got "1.5"');
  });
});
