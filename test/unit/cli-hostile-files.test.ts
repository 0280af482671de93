import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/main.ts';

const dir = mkdtempSync(join(tmpdir(), 'vigil-hostile-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

async function vigil(...args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(
    args,
    (text) => {
      stdout += text;
    },
    (text) => {
      stderr += text;
    },
  );
  return { code, stdout, stderr };
}

const rows = (n: number, shift: number) =>
  Array.from({ length: n }, (_, i) => `${30 + shift + (i % 17)},${['basic', 'pro'][i % 2]}`).join('\n');
const reference = file('reference.csv', `age,plan\n${rows(200, 0)}\n`);

/**
 * The files the CLI reads (`vigil drift`'s data sets, `vigil evidence verify`'s bundle and JWK
 * Set) under hostile content: each is refused with one line naming the file and what is wrong
 * (status 2, or 1 for a bundle that does not verify), never an unexpected error or a stack trace.
 */
describe('the CLI under hostile files', () => {
  const nested = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
  const csvCases: [string, string | Buffer][] = [
    ['binary.csv', Buffer.from([0, 255, 254, 1, 2, 10, 0, 13, 10, 200, 201])],
    ['unterminated.csv', 'age,plan\n"41,basic\n42,pro\n'],
    ['quote-inside.csv', 'age,plan\n4"1,basic\n'],
    ['bom-only.csv', '\ufeff'],
    ['blank-lines.csv', '\n\n\r\n  \n'],
    ['duplicate-header.csv', 'age,age\n1,2\n'],
    ['unnamed-column.csv', 'age,,plan\n1,2,pro\n'],
    ['other-columns.csv', `salary,region\n${rows(50, 0)}\n`],
    ['proto-column.csv', `__proto__,constructor\n${rows(50, 0)}\n`],
    ['wide.csv', `${Array.from({ length: 1_000 }, (_, i) => `c${i}`).join(',')}\n${'1,'.repeat(999)}1\n`],
    ['long-field.csv', `age,plan\n${'9'.repeat(1_000_000)},pro\n`],
    ['not-numbers.csv', 'age,plan\nInfinity,pro\n1e400,basic\nNaN,pro\n'],
    ['lines.jsonl', '[1,2]\n'],
    ['null.jsonl', 'null\n'],
    ['string.jsonl', '"age"\n'],
    ['nested.jsonl', `${nested(10_000)}\n`],
    ['proto.jsonl', '{"__proto__": {"polluted": true}, "age": 1, "plan": "pro"}\n'],
    ['objects.jsonl', '{"age": {"x": 1}, "plan": ["pro"]}\n'],
    [
      'numbers.jsonl',
      '{"age": 1e400, "plan": "pro"}\n{"age": -0, "plan": "pro"}\n{"age": "NaN", "plan": 1}\n',
    ],
    ['surrogates.jsonl', '{"age": 1, "plan": "\\ud800"}\n{"age": 2, "plan\\udc00": "x"}\n'],
  ];

  it.each(csvCases)('vigil drift refuses or reads %s, never failing unexpectedly', async (name, content) => {
    const path = file(name, content);
    const run = await vigil('drift', '--reference', reference, '--current', path, '--format', 'json');

    expect(run.stderr).not.toContain('unexpected error');
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect([0, 1, 2]).toContain(run.code);
    if (run.code === 2) {
      expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(run.stderr).toMatch(/^vigil drift: /);
      expect(run.stderr).toMatch(new RegExp(`${name.replace('.', '\\.')}|--columns|column`));
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('vigil drift names the line and column of a cell nested past 64 levels, and takes one of 64', async () => {
    const deep = file(
      'deep.jsonl',
      `{"age": 1, "plan": "a"}\n{"age": 2, "plan": ${'['.repeat(65)}${']'.repeat(65)}}\n`,
    );
    const shallow = file(
      'shallow.jsonl',
      `{"age": 1, "plan": ${'['.repeat(64)}${']'.repeat(64)}}\n{"age": 2, "plan": "a"}\n`,
    );

    const refused = await vigil('drift', '--reference', reference, '--current', deep);
    const taken = await vigil('drift', '--reference', reference, '--current', shallow, '--format', 'json');

    expect(refused).toMatchObject({
      code: 2,
      stderr: `vigil drift: ${deep}: line 2, column "plan" nests more than 64 levels of arrays or objects\n`,
    });
    expect([0, 1]).toContain(taken.code);
    expect(taken.stderr).toBe('');
  });

  it('vigil drift names a directory given as a data set', async () => {
    const folder = join(dir, 'folder.csv');
    mkdirSync(folder);
    const run = await vigil('drift', '--reference', reference, '--current', folder);
    expect(run).toMatchObject({ code: 2, stderr: expect.stringContaining('folder.csv: is a directory') });
  });

  const jwks = file('jwks.json', JSON.stringify({ keys: [] }));
  const bundleCases: [string, string][] = [
    ['not-json.json', '{"events": ['],
    ['array.json', '[]'],
    ['null.json', 'null'],
    ['empty-object.json', '{}'],
    ['wrong-types.json', JSON.stringify({ incident: 'x', events: 'x', head: 1, signature: {} })],
    [
      'wrong-events.json',
      JSON.stringify({ incident: {}, events: [null, 1, 'x', []], head: 'x', signature: 'x' }),
    ],
    [
      'hostile-event.json',
      '{"incident": {"incidentId": "inc_0"}, "events": [{"seq": 1e400, "type": {}, "at": [], "actor": -0, "data": "x", "prevHash": 1, "hash": "x"}], "head": "x", "signature": "a.b.c"}',
    ],
    [
      'surrogate-event.json',
      '{"incident": {"incidentId": "inc_0"}, "events": [{"seq": 1, "type": "opened", "at": "2026-01-01T00:00:00Z", "actor": "\\ud800", "data": {"k\\udc00": 1}, "prevHash": "00", "hash": "00"}], "head": "00", "signature": "a.b.c"}',
    ],
    ['nested.json', nested(10_000)],
    ['proto.json', '{"__proto__": {"polluted": true}, "events": []}'],
  ];

  it.each(bundleCases)(
    'vigil evidence verify fails %s with one line, never unexpectedly',
    async (name, content) => {
      const run = await vigil('evidence', 'verify', file(name, content), '--jwks', jwks);

      expect(run.stderr).not.toContain('unexpected error');
      expect(run.stderr).not.toMatch(/\n\s+at /);
      expect([1, 2]).toContain(run.code);
      expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(run.stderr).toMatch(/^vigil evidence/);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    },
  );

  it.each([
    ['jwks-not-json.json', '{"keys": '],
    ['jwks-array.json', '[]'],
    ['jwks-keys-string.json', '{"keys": "x"}'],
    [
      'jwks-keys-junk.json',
      '{"keys": [1, null, "x", {"kty": "EC"}, {"kty": "EC", "crv": "P-256", "x": 1, "y": {}}]}',
    ],
    ['jwks-nested.json', `{"keys": [${nested(10_000)}]}`],
  ])(
    'vigil evidence verify refuses the JWK Set %s with one line, never unexpectedly',
    async (name, content) => {
      const bundle = file(
        'bundle.json',
        JSON.stringify({ incident: {}, events: [], head: '0', signature: 'a.b.c' }),
      );
      const run = await vigil('evidence', 'verify', bundle, '--jwks', file(name, content));

      expect(run.stderr).not.toContain('unexpected error');
      expect([1, 2]).toContain(run.code);
      expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
    },
  );
});
