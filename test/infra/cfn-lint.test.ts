import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../bin/vigil.ts';
import { findOnPath, isCi } from '../support/executables.ts';
import { cdkApp } from './app.ts';

const INSTALL = 'pipx install cfn-lint (or pip install cfn-lint)';
const cfnLint = findOnPath('cfn-lint');

interface Finding {
  Rule: { Id: string };
  Level: 'Error' | 'Warning' | 'Informational';
  Message: string;
  Filename: string;
  Location: { Path: (string | number)[] };
}

/**
 * The warnings cfn-lint may report, each with its reason (docs/architecture.md). W3005: the
 * Lambda and Step Functions L2 constructs make a function or state machine depend on its role
 * and on the role's default policy; the dependency on the role repeats the role's GetAtt, the
 * one on the policy is what makes the permissions exist before the resource runs.
 */
function expected(finding: Finding): boolean {
  return (
    finding.Rule.Id === 'W3005' &&
    /^'\w+Role[0-9A-F]{8}' dependency already enforced by a 'GetAtt'/.test(finding.Message)
  );
}

describe('cfn-lint on the synthesized templates', () => {
  const outdir = mkdtempSync(path.join(tmpdir(), 'vigil-cfn-lint-'));
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('is available, or the check says why it is skipped (and fails under CI)', ({ skip }) => {
    if (cfnLint) return;
    const reason = `cfn-lint is not on PATH; install it to lint the templates: ${INSTALL}`;
    if (isCi()) throw new Error(`cfn-lint is required under CI: ${reason}`);
    console.warn(`cfn-lint check skipped: ${reason}`);
    skip(reason);
  });

  it.runIf(cfnLint)('finds no error, and only the documented warnings', () => {
    // Bundling is skipped: cfn-lint reads the templates, not the code.
    buildApp(cdkApp({ 'aws:cdk:bundling-stacks': [] }, { outdir })).app.synth();
    const templates = readdirSync(outdir)
      .filter((name) => name.endsWith('.template.json'))
      .map((name) => path.join(outdir, name));
    expect(templates.map((file) => path.basename(file)).sort()).toEqual([
      'VigilData.template.json',
      'VigilService.template.json',
    ]);

    const run = spawnSync(cfnLint as string, ['--format', 'json', ...templates], { encoding: 'utf8' });
    expect(run.error).toBeUndefined();
    expect(run.stderr).toBe('');
    const findings = JSON.parse(run.stdout) as Finding[];
    const summary = (f: Finding) =>
      `${f.Level} ${f.Rule.Id} ${path.basename(f.Filename)} ${f.Location.Path.join('/')}: ${f.Message}`;

    expect(findings.filter((f) => f.Level === 'Error').map(summary)).toEqual([]);
    expect(findings.filter((f) => !expected(f)).map(summary)).toEqual([]);
  });
});
