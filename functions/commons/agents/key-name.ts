import * as z from '#commons/zod';

/**
 * A key's name, so that the audit trail can say which agent decided. Apart from the agents'
 * schemas (schema.ts re-exports it): the registry's key route parses it at every call, and
 * loads neither the human-step catalog nor the model's governance fields for it.
 */
export const keyNameSchema = z
  .string()
  .check(
    z.regex(
      /^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$/,
      'letters, digits, spaces, "_", "." and "-", at most 64, starting with a letter or digit',
    ),
    z.describe('A label for the key, named with its id in the audit trail (e.g. the agent holding it)'),
  );
