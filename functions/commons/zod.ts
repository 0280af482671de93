/**
 * The schema library every handler validates with: zod's tree-shakable `zod/mini` build, which
 * bundles only the checks a handler uses (about 20 KiB against the classic build's 95 KiB, and a
 * tenth of its load time), with zod's English messages so every 400 names the problem in the
 * same words. Import `z` from here, never from `zod` or `zod/mini` directly, so the messages are
 * always configured.
 */
import { en } from 'zod/locales';
import * as z from 'zod/mini';

z.config(en());

export { z };
