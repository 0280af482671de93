import { describe, expect, it } from 'vitest';
import {
  candidateFormValues,
  candidateFromForm,
  fieldErrorsFromIssues,
  parseMetrics,
} from '../../local/dashboard/candidate-form.ts';

/** The dashboard's candidate form: what a person types, read as the API's candidate input. */
describe('the dashboard candidate form', () => {
  it('reads metrics as name=value lines, skipping blank and # lines', () => {
    // Act
    const parsed = parseMetrics('accuracy = 0.93\n\n# offline test set\r\nf1=1e-1\n');

    // Assess
    expect(parsed).toEqual({ metrics: { accuracy: 0.93, f1: 0.1 } });
  });

  it('reads metrics as a JSON object', () => {
    expect(parseMetrics(' {"accuracy": 0.9, "auc": 0.8} ')).toEqual({ metrics: { accuracy: 0.9, auc: 0.8 } });
  });

  it('names every metrics line at fault', () => {
    // Act
    const parsed = parseMetrics('accuracy\nf1=high\nauc=0.8\nauc=0.7\n=3\nrecall=Infinity');

    // Assess
    expect(parsed).toEqual({
      errors: [
        'line 1: expected name=value, got "accuracy"',
        'line 2: f1 is not a finite number ("high")',
        'line 4: auc is given twice',
        'line 5: expected name=value, got "=3"',
        'line 6: recall is not a finite number ("Infinity")',
      ],
    });
  });

  it('refuses the reserved names __proto__, constructor and prototype, typed or in JSON', () => {
    expect(parseMetrics('__proto__=1\naccuracy=0.9\nconstructor=2')).toEqual({
      errors: ['line 1: __proto__ is a reserved name', 'line 3: constructor is a reserved name'],
    });
    expect(parseMetrics('{"accuracy": 0.9, "__proto__": 1}')).toEqual({
      errors: ['__proto__ is a reserved name'],
    });
  });

  it('refuses malformed JSON and JSON that is not an object', () => {
    expect(parseMetrics('{"accuracy": }')).toMatchObject({
      errors: [expect.stringMatching(/^not valid JSON: /)],
    });
    expect(parseMetrics('{')).toMatchObject({ errors: [expect.stringMatching(/^not valid JSON/)] });
  });

  it('turns the form into the API’s candidate input; the checkbox counts when sent', () => {
    // Prepare
    const fields = new URLSearchParams({
      version: ' 1.2.0 ',
      artifactUri: 's3://models/churn/1.2.0',
      metrics: 'accuracy=0.93',
      scopeChanged: 'true',
      notes: 'New feature: tenure.',
    });

    // Act
    const result = candidateFromForm(candidateFormValues(fields));

    // Assess
    expect(result).toEqual({
      input: {
        version: '1.2.0',
        artifactUri: 's3://models/churn/1.2.0',
        metrics: { accuracy: 0.93 },
        scopeChanged: true,
        notes: 'New feature: tenure.',
      },
    });
    expect(candidateFormValues(new URLSearchParams({ version: '1.2.0' })).scopeChanged).toBe(false);
  });

  it('gives the schema’s problems by field', () => {
    // Act
    const result = candidateFromForm(
      candidateFormValues(new URLSearchParams({ version: 'v2', artifactUri: '', metrics: 'f1=x' })),
    );

    // Assess
    expect(result).not.toHaveProperty('input');
    const errors = 'errors' in result ? result.errors : {};
    expect(Object.keys(errors).sort()).toEqual(['artifactUri', 'metrics', 'version']);
    expect(errors.metrics).toEqual(['line 1: f1 is not a finite number ("x")']);
  });

  it('maps an API error’s issues to the fields, the message to the form', () => {
    expect(
      fieldErrorsFromIssues('The candidate must be newer than production', [
        { path: 'version', message: "must be greater than production's 1.0.0" },
        { path: 'incidentId', message: 'the incident is closed' },
      ]),
    ).toEqual({
      version: ["must be greater than production's 1.0.0"],
      form: ['The candidate must be newer than production', 'the incident is closed'],
    });
  });
});
