import { issuePath, RESERVED_NAMES } from '../../functions/commons/api/request.ts';
import { type CandidateInput, candidateInputSchema } from '../../functions/commons/incidents/schema.ts';

/** The candidate form's fields as typed, kept to fill the form again when it is refused. */
export interface CandidateFormValues {
  readonly version: string;
  readonly artifactUri: string;
  readonly metrics: string;
  readonly scopeChanged: boolean;
  readonly notes: string;
}

/** Problems of a submission, by form field (`form` for the whole of it). */
export type FieldErrors = Partial<Record<keyof CandidateFormValues | 'form', string[]>>;

export const emptyCandidateForm: CandidateFormValues = {
  version: '',
  artifactUri: '',
  metrics: '',
  scopeChanged: false,
  notes: '',
};

/** The form's values from its url-encoded fields (a checkbox is sent only when ticked). */
export function candidateFormValues(fields: URLSearchParams): CandidateFormValues {
  return {
    version: (fields.get('version') ?? '').trim(),
    artifactUri: (fields.get('artifactUri') ?? '').trim(),
    metrics: fields.get('metrics') ?? '',
    scopeChanged: fields.has('scopeChanged'),
    notes: fields.get('notes') ?? '',
  };
}

/**
 * Reads the metrics box: a JSON object (`{"accuracy": 0.91}`) when it starts with `{`, otherwise
 * one `name=value` per line (blank lines and lines starting with `#` are skipped). Every line at
 * fault is named.
 */
export function parseMetrics(text: string): { metrics: Record<string, unknown> } | { errors: string[] } {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    try {
      const value: unknown = JSON.parse(trimmed);
      if (value === null || typeof value !== 'object' || Array.isArray(value))
        return { errors: ['must be a JSON object of metric names and numbers'] };
      const reserved = Object.keys(value).filter((name) => RESERVED_NAMES.has(name));
      if (reserved.length) return { errors: reserved.map((name) => `${name} is a reserved name`) };
      return { metrics: value as Record<string, unknown> };
    } catch (error) {
      return { errors: [`not valid JSON: ${error instanceof Error ? error.message : String(error)}`] };
    }
  }
  // Names are typed by a person: a prototype-free object, and the reserved names refused.
  const metrics: Record<string, unknown> = Object.create(null);
  const errors: string[] = [];
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const at = line.indexOf('=');
    const name = at < 0 ? '' : line.slice(0, at).trim();
    const value = at < 0 ? '' : line.slice(at + 1).trim();
    if (!name || !value) {
      errors.push(`line ${i + 1}: expected name=value, got "${line}"`);
      continue;
    }
    if (RESERVED_NAMES.has(name)) {
      errors.push(`line ${i + 1}: ${name} is a reserved name`);
      continue;
    }
    const number = Number(value);
    if (!Number.isFinite(number)) {
      errors.push(`line ${i + 1}: ${name} is not a finite number ("${value}")`);
      continue;
    }
    if (Object.hasOwn(metrics, name)) errors.push(`line ${i + 1}: ${name} is given twice`);
    metrics[name] = number;
  }
  return errors.length ? { errors } : { metrics };
}

/**
 * The candidate the form describes, validated with the API's own schema
 * (`POST /v1/incidents/{id}/candidate`), or the problems by field.
 */
export function candidateFromForm(
  values: CandidateFormValues,
): { input: CandidateInput } | { errors: FieldErrors } {
  const parsed = parseMetrics(values.metrics);
  const errors: FieldErrors = {};
  if ('errors' in parsed) errors.metrics = parsed.errors;
  const result = candidateInputSchema.safeParse({
    version: values.version,
    artifactUri: values.artifactUri,
    metrics: 'metrics' in parsed ? parsed.metrics : {},
    scopeChanged: values.scopeChanged,
    notes: values.notes,
  });
  if (!result.success) {
    for (const issue of result.error.issues) {
      const [field, ...rest] = issue.path;
      const key = (typeof field === 'string' && field in values ? field : 'form') as keyof FieldErrors;
      const where = rest.length ? `${issuePath(rest)}: ` : '';
      errors[key] = [...(errors[key] ?? []), `${where}${issue.message}`];
    }
  }
  if (Object.keys(errors).length || !result.success) return { errors };
  return { input: result.data };
}

/** The issues of an API error (`{path, message}`), by form field. */
export function fieldErrorsFromIssues(
  message: string,
  issues: readonly { readonly path: string; readonly message: string }[],
): FieldErrors {
  const errors: FieldErrors = {};
  const fields = new Set<string>(Object.keys(emptyCandidateForm));
  for (const issue of issues) {
    const field = issue.path.split(/[.[]/)[0] ?? '';
    const key = (fields.has(field) ? field : 'form') as keyof FieldErrors;
    errors[key] = [...(errors[key] ?? []), issue.message];
  }
  errors.form = [message, ...(errors.form ?? [])];
  return errors;
}
