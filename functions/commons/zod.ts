/**
 * The schema library every handler validates with: zod's tree-shakable `zod/mini` build, which
 * bundles only the checks a handler uses (about 20 KiB against the classic build's 95 KiB, and a
 * tenth of its load time), with zod's English messages so every 400 names the problem in the
 * same words. Import it as a namespace, `import * as z from '#commons/zod'`, never from `zod` or
 * `zod/mini` directly, so the messages are always configured. The namespace import is what lets
 * the bundler keep only the functions a handler calls: a named binding (`import { z }`) is an
 * opaque object to it, and brings every zod/mini schema and all of zod's locales (about
 * 430 KiB) into the bundle.
 */
import { en } from 'zod/locales';
import { config } from 'zod/mini';

config(en());

export * from 'zod/mini';
