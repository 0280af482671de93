/**
 * Semantic Versioning 2.0.0 precedence: major, minor, patch numerically; a pre-release sorts
 * before its release; pre-release identifiers compare numerically when both are numbers, else
 * as text, and a longer list wins a tie; build metadata is ignored.
 */
export function compareSemver(a: string, b: string): -1 | 0 | 1 {
  const [coreA = '', preA] = a.split('+', 1)[0]?.split(/-(.*)/s) ?? [];
  const [coreB = '', preB] = b.split('+', 1)[0]?.split(/-(.*)/s) ?? [];
  const numsA = coreA.split('.').map(Number);
  const numsB = coreB.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    const diff = (numsA[i] ?? 0) - (numsB[i] ?? 0);
    if (diff !== 0) return diff < 0 ? -1 : 1;
  }
  if (!preA && !preB) return 0;
  if (!preA) return 1;
  if (!preB) return -1;
  const idsA = preA.split('.');
  const idsB = preB.split('.');
  for (let i = 0; i < Math.max(idsA.length, idsB.length); i++) {
    const x = idsA[i];
    const y = idsB[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (x === y) continue;
    const xNum = /^\d+$/.test(x);
    const yNum = /^\d+$/.test(y);
    if (xNum && yNum) return Number(x) < Number(y) ? -1 : 1;
    if (xNum) return -1;
    if (yNum) return 1;
    return x < y ? -1 : 1;
  }
  return 0;
}
