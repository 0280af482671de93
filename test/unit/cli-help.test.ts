import { describe, expect, it } from 'vitest';
import { COMMAND_NAMES, main } from '../../cli/main.ts';

async function run(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(
    argv,
    (text) => {
      stdout += text;
    },
    (text) => {
      stderr += text;
    },
  );
  return { code, stdout, stderr };
}

describe('vigil --help', () => {
  it('lists every command', async () => {
    const top = await run('--help');
    expect(top).toMatchObject({ code: 0, stderr: '' });
    expect(COMMAND_NAMES).toEqual(['drift', 'models', 'incidents', 'report', 'evidence']);
    for (const name of COMMAND_NAMES) expect(top.stdout).toMatch(new RegExp(`^  ${name} `, 'm'));
  });

  it.each(COMMAND_NAMES)(
    'vigil %s has --help, -h and "vigil help %s", with status 0 and nothing else',
    async (name) => {
      const long = await run(name, '--help');
      expect(long).toMatchObject({ code: 0, stderr: '' });
      expect(long.stdout).toMatch(new RegExp(`^Usage: vigil ${name}\\b`));
      expect(await run(name, '-h')).toEqual(long);
      expect(await run('help', name)).toEqual(long);
    },
  );

  it.each([
    ['models', 'list'],
    ['incidents', 'list'],
    ['incidents', 'show'],
  ])('vigil %s %s --help shows the help, without an API key or a call', async (name, action) => {
    const help = await run(name, action, '--help');
    expect(help).toEqual(await run(name, '--help'));
  });

  it('says so for an unknown command, with the list, and status 2', async () => {
    const unknown = await run('toString');
    expect(unknown.code).toBe(2);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr).toMatch(/^vigil: unknown command "toString"\nUsage: vigil <command>/);
  });
});
