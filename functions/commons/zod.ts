/**
 * The schema library every handler validates with: zod's tree-shakable `zod/mini` build, which
 * bundles only the checks a handler uses (about 20 KiB against the classic build's 95 KiB, and a
 * tenth of its load time), with zod's English messages so every 400 names the problem in the
 * same words. Import it from here as a namespace, `import * as z from '#commons/zod'`, never
 * from `zod` or `zod/mini` directly, so the messages are always configured. Only the namespace
 * import tree-shakes: `import { z }` (zod/mini's own `z`, re-exported too) makes esbuild bundle
 * the whole library, every locale included (over 400 KiB).
 */
import { en } from 'zod/locales';
import { config } from 'zod/mini';

config(en());

export * from 'zod/mini';
