/**
 * A model's id, as the registry takes it (`modelIdSchema` in `registry/fields.ts` checks it with
 * this pattern and message): letters, digits, `_`, `.` and `-`, at most 128, starting with a
 * letter or digit. A module of its own, without the schema library, so that a route can accept an
 * id without loading it (`evaluation/model-path.ts`).
 */
export const MODEL_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
export const MODEL_ID_MESSAGE =
  'letters, digits, "_", "." and "-", at most 128, starting with a letter or digit';
