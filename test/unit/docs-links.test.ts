import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const documents = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];
/** Top-level folders of the repository: a code span that starts with one names a file of it. */
const trackedRoots = [
  'bench',
  'bin',
  'cli',
  'docs',
  'functions',
  'lib',
  'local',
  'scripts',
  'statemachines',
  'test',
];

function insideRepo(path: string): boolean {
  const rel = relative(root, path);
  return rel !== '' && !rel.startsWith('..') && existsSync(path);
}

/** Markdown links and images (`[text](target)`, `[label]: target`) that are not URLs or anchors. */
function markdownTargets(text: string): string[] {
  const inline = [...text.matchAll(/!?\[[^\]]*\]\(\s*(?:<([^>]+)>|([^)\s]+))(?:\s+"[^"]*")?\s*\)/g)].map(
    (m) => (m[1] ?? m[2]) as string,
  );
  const references = [...text.matchAll(/^\s*\[[^\]]+\]:\s*(\S+)/gm)].map((m) => m[1] as string);
  return [...inline, ...references].filter((target) => !/^([a-z][a-z0-9+.-]*:|#)/i.test(target));
}

/** Paths written in code spans: any that climbs with `../`, and any under a folder of the repository. */
function codeSpanPaths(text: string): string[] {
  const spans = [...text.replace(/^```[\s\S]*?^```/gm, '').matchAll(/`([^`\n]+)`/g)].map(
    (m) => m[1] as string,
  );
  return spans
    .flatMap((span) => span.split(/[\s,()]+/))
    .filter((token) => token.includes('../') || trackedRoots.some((folder) => token.startsWith(`${folder}/`)))
    .filter((token) => !/[*{}]|\.\.\.$|^\.\.\.\//.test(token)); // `.../x` abbreviates a route
}

describe('documentation links', () => {
  it.each(documents)('every relative link of %s opens a file of the repository', (document) => {
    const text = readFileSync(join(root, document), 'utf8');
    const broken = markdownTargets(text).filter(
      (target) => !insideRepo(resolve(root, dirname(document), decodeURI(target.split('#')[0] as string))),
    );
    expect(broken).toEqual([]);
  });

  it.each(documents)('every repository path named in %s exists and stays inside it', (document) => {
    const text = readFileSync(join(root, document), 'utf8');
    const broken = codeSpanPaths(text).filter(
      (path) => !insideRepo(resolve(root, path)) && !insideRepo(resolve(root, dirname(document), path)),
    );
    expect(broken).toEqual([]);
  });

  it('reads links and paths the way a reader follows them', () => {
    expect(
      markdownTargets('[a](docs/drift.md#api) ![b](<x y.png>) [c](https://e.com) [d](#top)\n[e]: ../out.md'),
    ).toEqual(['docs/drift.md#api', 'x y.png', '../out.md']);
    expect(
      codeSpanPaths(
        'see `../elsewhere/spec.md` and `lib/tables.ts`, not `scipy/stats/x.py` or `test-results/*.png`',
      ),
    ).toEqual(['../elsewhere/spec.md', 'lib/tables.ts']);
    expect(insideRepo(resolve(root, '../elsewhere/notes.md'))).toBe(false);
    expect(insideRepo(resolve(root, 'docs/drift.md'))).toBe(true);
  });
});
