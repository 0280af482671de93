import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MAX_BODY_BYTES } from '../../functions/commons/api/request.ts';
import { MAX_FORM_BYTES } from '../../functions/commons/html/form.ts';
import { MAX_RECORDS } from '../../functions/commons/telemetry/records.ts';
import { MAX_BODY_BYTES as MAX_GATEWAY_BYTES } from '../../local/api-gateway.ts';
import {
  fieldName,
  inBatches,
  type JsonPath,
  nested,
  nodesOf,
  type RawResponse,
  rawRequest,
  schemaAt,
  tableSnapshots,
  withValue,
} from '../support/hostile.ts';
import { ADMIN_KEY, approvers, Harness } from './workflow/harness.ts';

/**
 * Every operation of the OpenAPI document under hostile input, on the local runtime: malformed
 * and oversized bodies, wrong types, reserved and unknown keys, strings and numbers no client
 * should send, hostile path and query parameters, wrong media types and forged form tokens.
 * Each must be refused with a 4xx (a JSON error naming the field at fault on the API, a page on
 * the approval pages) and write nothing; no request may ever be answered with a 5xx.
 */

interface Operation {
  readonly method: string;
  readonly path: string;
  readonly parameters?: { name: string; in: 'path' | 'query'; schema: Record<string, unknown> }[];
  readonly requestBody?: { required: boolean; content: { 'application/json': { schema: unknown } } };
}

/** What a case must answer. */
type Expectation =
  /** Refused with one of these statuses, naming `field` when given; tables unchanged. */
  | { readonly refused: readonly number[]; readonly field?: JsonPath }
  /** Never a 5xx; when refused, a JSON error (naming `field` on a 400) and nothing written. */
  | { readonly safe: true; readonly field?: JsonPath; readonly valid?: true };

interface Case {
  readonly name: string;
  readonly method: string;
  readonly path: string;
  readonly key?: string | null;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  readonly expect: Expectation;
}

/** The ids a route's path parameters take: real ones, and well-formed ones naming nothing. */
interface World {
  readonly real: Record<string, string>;
  readonly absent: Record<string, string>;
  readonly keys: { ingest: string; candidate: string; agent: string };
  readonly approval: { id: string; sig: string };
}

const modelBody = {
  name: 'Hostile',
  owner: 'ds@example.com',
  task: 'classification',
  features: [
    { name: 'age', type: 'numerical', quality: { min: 0, max: 120 } },
    { name: 'plan', type: 'categorical' },
  ],
  schedule: { every: 'PT1H', window: 'PT1H', minSamples: 100 },
  thresholds: { driftShare: 0.5, performance: { accuracy: { min: 0.8, maxRelativeDrop: 0.05 } } },
  approvers,
  governance: { approvalTimeoutHours: 24, stabilisationSeconds: 0, agents: ['investigate'] },
};

/** A valid body of every route that takes one: the sweep spoils one thing at a time. */
const validBodies: Record<string, unknown> = {
  'PUT /v1/models/{modelId}': modelBody,
  'POST /v1/models/{modelId}/keys': { scopes: ['ingest'], name: 'probe' },
  'POST /v1/models/{modelId}/versions': {
    version: '2.0.0',
    artifactUri: 's3://models/hostile/2.0.0',
    metrics: { accuracy: 0.9 },
    notes: 'Retrained.',
  },
  'PUT /v1/models/{modelId}/baseline': {
    records: [{ features: { age: 30, plan: 'basic' }, prediction: 'stay' }],
    metrics: { accuracy: 0.9 },
  },
  'POST /v1/models/{modelId}/predictions': {
    batchId: 'batch-1',
    modelVersion: '1.0.0',
    records: [
      {
        predictionId: 'p-1',
        timestamp: Date.now(),
        features: { age: 30, plan: 'basic' },
        prediction: 'stay',
      },
    ],
  },
  'POST /v1/models/{modelId}/actuals': {
    batchId: 'batch-2',
    records: [{ predictionId: 'p-1', actual: 'stay' }],
  },
  'POST /v1/models/{modelId}/metrics': { batchId: 'batch-3', records: [{ name: 'latency_ms', value: 12 }] },
  'POST /v1/models/{modelId}/feedback': {
    category: 'complaint',
    message: 'Wrong answer.',
    predictionId: 'p-1',
  },
  'POST /v1/incidents/{incidentId}/candidate': {
    version: '1.1.0',
    artifactUri: 's3://models/hostile/1.1.0',
    metrics: { accuracy: 0.91 },
    scopeChanged: false,
    notes: 'Retrained on the last 30 days.',
  },
  'POST /v1/incidents/{incidentId}/decisions': {
    step: 'investigate',
    decision: 'retrain',
    comment: 'Drift.',
  },
  'POST /v1/webhooks': {
    url: 'https://hooks.example.com/vigil',
    events: ['model.rolled_back'],
    format: 'standard',
    description: 'Probe',
  },
};

/** The key each route is called with: the scope it needs, the admin's elsewhere. */
function keyFor(operation: Operation, world: World): string {
  if (/\/(predictions|actuals|metrics|feedback)$/.test(operation.path)) return world.keys.ingest;
  if (operation.path.endsWith('/candidate')) return world.keys.candidate;
  if (operation.path.endsWith('/decisions')) return world.keys.agent;
  return ADMIN_KEY;
}

function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (_m, name: string) => values[name] as string);
}

const json = (value: unknown) => JSON.stringify(value);

/** A valid body with `count` unknown keys added, just below the 6 MB a body may take. */
function manyKeys(valid: unknown, count: number): string {
  const keys = Array.from({ length: count }, (_, i) => `"${i.toString(36)}":0`).join(',');
  return `{${keys},${json(valid).slice(1)}`;
}
const jsonType = { 'content-type': 'application/json' };
const NUMBER = '@@number@@';

/** The body cases of a route: its valid body spoilt one way at a time. */
function bodyCases(operation: Operation, world: World): Case[] {
  const routeKey = `${operation.method.toUpperCase()} ${operation.path}`;
  const valid = validBodies[routeKey];
  if (valid === undefined) throw new Error(`no valid body for ${routeKey}`);
  const schema = operation.requestBody?.content['application/json'].schema;
  const optional = operation.requestBody?.required === false;
  const method = operation.method.toUpperCase();
  const path = fill(operation.path, world.real);
  const key = keyFor(operation, world);
  // Accepted requests write: they go where that harms nothing (the spare model, or an incident
  // that does not exist, which the handler looks up only once the body is valid).
  const safePath = fill(operation.path, {
    ...world.real,
    modelId: 'spare',
    incidentId: world.absent.incidentId as string,
  });
  const safeKey = operation.path.includes('{modelId}') ? ADMIN_KEY : key;
  const refused = (name: string, body: string, statuses: number[], field?: JsonPath): Case => ({
    name,
    method,
    path,
    key,
    headers: jsonType,
    body,
    expect: { refused: statuses, ...(field ? { field } : {}) },
  });
  const safe = (name: string, body: string, field?: JsonPath): Case => ({
    name,
    method,
    path: safePath,
    key: safeKey,
    headers: jsonType,
    body,
    expect: { safe: true, ...(field ? { field } : {}) },
  });
  const cases: Case[] = [
    // The body the others spoil must itself pass: refused only for what its path names (404, 409).
    { ...safe('the valid body', json(valid)), expect: { safe: true, valid: true } },
    refused('malformed JSON', '{"records": [', [400], []),
    refused('a JSON array', '[]', [400], []),
    refused('a JSON string', '"text"', [400], []),
    refused('a JSON number', '42', [400], []),
    refused('JSON null', 'null', [400], []),
    refused('JSON true', 'true', [400], []),
    refused('a byte-order mark and garbage', '\ufeff{x}', [400], []),
    refused(`a body over ${MAX_BODY_BYTES} bytes`, `{"x":"${'a'.repeat(MAX_BODY_BYTES)}"}`, [413], []),
    refused('10,000 nested arrays', nested(10_000, 'array'), [400], []),
    refused('10,000 nested objects', nested(10_000, 'object', 'zz'), [400], ['zz']),
    refused(
      '__proto__ at the top',
      json(valid).replace('{', '{"__proto__":{"polluted":true},'),
      [400],
      ['__proto__'],
    ),
    refused(
      'constructor at the top',
      json(withValue(valid, ['constructor'], { prototype: {} })),
      [400],
      ['constructor'],
    ),
    refused('prototype at the top', json(withValue(valid, ['prototype'], 1)), [400], ['prototype']),
    refused('an unknown field', json(withValue(valid, ['zzUnknown'], 1)), [400], ['zzUnknown']),
  ];
  // Zod names every unknown key in one message: 500,000 of them (4.4 MB) made a 6.9 MB answer,
  // past Lambda's 6 MB response. The answer is bounded wherever the keys go (one route tries it).
  if (operation.path.endsWith('/predictions')) {
    cases.push(refused('500,000 unknown fields', manyKeys(valid, 500_000), [400], []));
    // API Gateway's own limit, the same for every route.
    cases.push(
      refused(`a body over ${MAX_GATEWAY_BYTES} bytes`, `{"x":"${'a'.repeat(MAX_GATEWAY_BYTES)}"}`, [413]),
    );
  }
  if (/\/(predictions|actuals|metrics)$/.test(operation.path)) {
    const records = (valid as { records: unknown[] }).records;
    const many = Array.from({ length: MAX_RECORDS + 1 }, () => records[0]);
    cases.push(
      refused(
        `${MAX_RECORDS + 1} records`,
        json({ ...(valid as object), records: many }),
        [413],
        ['records'],
      ),
    );
  }
  if (!optional) {
    cases.push(refused('an empty body', '', [400], []), refused('an empty object', '{}', [400]));
  }
  for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'application/jsonx']) {
    cases.push({
      ...refused(`content-type ${contentType}`, json(valid), [415], ['content-type']),
      headers: { 'content-type': contentType },
    });
  }
  cases.push({ ...refused('no content-type', json(valid), [415], ['content-type']), headers: {} });

  for (const node of nodesOf(valid)) {
    const at = fieldName(node.path);
    const nodeSchema = schemaAt(schema, node.path);
    const type = nodeSchema?.type;
    const spoil = (name: string, replacement: unknown, field: JsonPath = node.path) =>
      refused(`${at}: ${name}`, json(withValue(valid, node.path, replacement)), [400], field);
    if (node.value !== null && typeof node.value === 'object') {
      cases.push(spoil('a string instead', 'x'));
      cases.push(
        refused(
          `${at}: 10,000 nested arrays instead`,
          json(withValue(valid, node.path, NUMBER)).replace(`"${NUMBER}"`, nested(10_000, 'array')),
          [400],
          node.path,
        ),
      );
      if (!Array.isArray(node.value)) {
        const raw = json(withValue(valid, node.path, { ...node.value }));
        const proto = raw.replace(
          json(node.value),
          json(node.value).replace('{', '{"__proto__":{"polluted":true},'),
        );
        if (proto !== raw) cases.push(refused(`${at}: a __proto__ key`, proto, [400], node.path));
        const closed = nodeSchema?.additionalProperties === false;
        cases.push(
          spoil(closed ? 'an unknown field' : 'a constructor key', {
            ...node.value,
            [closed ? 'zzUnknown' : 'constructor']: 1,
          }),
        );
        if (!closed) {
          cases.push(spoil('a key of 100 KB', { ...node.value, ['k'.repeat(100_000)]: 1 }));
          cases.push(spoil('a key with a lone surrogate', { ...node.value, 'k\ud800': 1 }));
        }
      }
      continue;
    }
    cases.push(spoil('an object instead', { x: 1 }), spoil('an array instead', [1]));
    if (type === 'string') cases.push(spoil('a number instead', 12345), spoil('a boolean instead', true));
    if (type === 'number' || type === 'integer') cases.push(spoil('a numeric string instead', '1'));
    if (type === 'boolean') cases.push(spoil('a string instead', 'true'), spoil('a number instead', 1));
    if (typeof node.value === 'string') {
      cases.push(spoil('a string of 100 KB', 'a'.repeat(100_000)));
      cases.push(spoil('a lone high surrogate', `${node.value}\ud800`));
      cases.push(spoil('a lone low surrogate', `\udc00${node.value}`));
      cases.push(
        safe(
          `${at}: control characters`,
          json(withValue(valid, node.path, `${node.value}\u0000\u0007\u001b[2J`)),
          node.path,
        ),
      );
    }
    if (typeof node.value === 'number') {
      // Out of every number's range, or not numbers: always refused.
      for (const literal of ['1e400', '-1e400', '"NaN"', '"Infinity"']) {
        const raw = json(withValue(valid, node.path, NUMBER)).replace(`"${NUMBER}"`, literal);
        cases.push(refused(`${at}: ${literal}`, raw, [400], node.path));
      }
      // Numbers some fields take (a feature's value) and others refuse: never a 5xx.
      for (const literal of ['1234567890123456789012345678901234567890', '-0', '1e-200', '0.1e-400']) {
        const raw = json(withValue(valid, node.path, NUMBER)).replace(`"${NUMBER}"`, literal);
        cases.push(safe(`${at}: ${literal}`, raw, node.path));
      }
    }
  }
  // Documented fields the valid body leaves out, at any depth, each with a value of no type it takes.
  const objects = [{ path: [] as JsonPath, value: valid }, ...nodesOf(valid)].filter(
    (node) => node.value !== null && typeof node.value === 'object' && !Array.isArray(node.value),
  );
  for (const node of objects) {
    const properties = (schemaAt(schema, node.path)?.properties ?? {}) as Record<string, { type?: unknown }>;
    for (const [name, property] of Object.entries(properties)) {
      if ((node.value as Record<string, unknown>)[name] !== undefined) continue;
      const field = [...node.path, name];
      const wrong = property.type === 'object' ? 'x' : { x: 1 };
      cases.push(
        refused(
          `${fieldName(field)}: left out, then given a wrong type`,
          json(withValue(valid, field, wrong)),
          [400],
          field,
        ),
      );
    }
  }
  return cases;
}

/** Path parameters too long, with `#`, `/`, `..`, unicode, bad escapes, or naming nothing. */
function pathCases(operation: Operation, world: World): Case[] {
  const method = operation.method.toUpperCase();
  const valid = validBodies[`${method} ${operation.path}`];
  const key = keyFor(operation, world);
  const names = [...operation.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => name as string);
  const cases: Case[] = [];
  for (const name of names) {
    const real = world.real[name] as string;
    const variants: [string, string][] = [
      ['2,000 characters', 'a'.repeat(2000)],
      ['a "#"', `${real}%23x`],
      ['an encoded "/"', `${real}%2Fx`],
      ['".."', '..'],
      ['an encoded ".."', '%2E%2E'],
      ['unicode', encodeURIComponent('modèle-é✓')],
      ['a lone surrogate', '%ED%A0%80'],
      ['a truncated escape', '%E0%A4%A'],
      ['a bad escape', '%zz'],
      ['a NUL', `${real}%00`],
    ];
    for (const [what, value] of variants) {
      cases.push({
        name: `path ${name}: ${what}`,
        method,
        path: fill(operation.path, { ...world.real, [name]: value }),
        key,
        ...(valid !== undefined ? { headers: jsonType, body: json(valid) } : {}),
        expect: { refused: [400, 403, 404, 405], field: ['path', name] },
      });
    }
    // An empty segment: the router may find another route (GET /v1/models/ lists the models).
    cases.push({
      name: `path ${name}: empty`,
      method,
      path: fill(operation.path, { ...world.real, [name]: '' }),
      key,
      ...(valid !== undefined ? { headers: jsonType, body: json(valid) } : {}),
      expect: { safe: true },
    });
    // A model that does not exist is registered by PUT: every other route answers 404.
    if (!(method === 'PUT' && operation.path === '/v1/models/{modelId}')) {
      cases.push({
        name: `path ${name}: names nothing`,
        method,
        path: fill(operation.path, { ...world.real, [name]: world.absent[name] as string }),
        // The agent and candidate keys are the real model's: naming another model is a 403.
        key: name === 'modelId' ? ADMIN_KEY : key,
        ...(valid !== undefined ? { headers: jsonType, body: json(valid) } : {}),
        expect: { refused: [404] },
      });
    }
  }
  return cases;
}

const base64urlAlphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}

/** Query parameters of wrong types, out of range, repeated, unknown, and forged cursors. */
function queryCases(operation: Operation, world: World): Case[] {
  const method = operation.method.toUpperCase();
  const path = fill(operation.path, world.real);
  const key = keyFor(operation, world);
  const query = (operation.parameters ?? []).filter((p) => p.in === 'query');
  const at = (search: string, name: string, expect: Expectation): Case => ({
    name: `query ${name}: ${search}`.slice(0, 160),
    method,
    path: `${path}?${search}`,
    key,
    expect,
  });
  // Unknown parameters on reads only: on the other routes they would make a valid request.
  const cases: Case[] =
    method === 'GET'
      ? [
          at('zzUnknown=1', 'unknown', { safe: true }),
          at(`x=${'%ED%A0%80'.repeat(3)}`, 'unknown', { safe: true }),
        ]
      : [];
  for (const { name, schema } of query) {
    const field = ['query', name];
    const refused = (value: string) => at(`${name}=${value}`, name, { refused: [400], field });
    const maybe = (search: string) => at(search, name, { safe: true, field });
    const type = schema.type;
    if (type === 'integer' || type === 'number') {
      for (const value of ['abc', '1.5', '0', '-1', '1e400', '100000000000000000000000', '', 'NaN']) {
        cases.push(refused(value));
      }
      cases.push(maybe(`${name}=0x10`), maybe(`${name}=%201%20`));
      if (typeof schema.maximum === 'number') cases.push(refused(String(schema.maximum + 1)));
      cases.push(
        maybe(`${name}=1&${name}=abc`),
        maybe(`${name}=abc&${name}=1`),
        maybe(`${name}=1&${name}=1`),
      );
    } else if (Array.isArray(schema.enum)) {
      cases.push(refused('bogus'), refused(''), refused('%ED%A0%80'));
      cases.push(maybe(`${name}=${schema.enum[0]}&${name}=bogus`));
    } else if (schema.format === 'date-time') {
      for (const value of ['yesterday', '2026-13-45T00:00:00Z', '2026-01-01', '', '1e400'])
        cases.push(refused(value));
      cases.push(maybe(`${name}=2026-01-01T00:00:00Z&${name}=yesterday`));
    } else if (name === 'nextToken') {
      for (const value of [
        'not-a-token!!',
        'A'.repeat(5000),
        base64url('[1,2]'),
        base64url('"text"'),
        base64url('{"PK":{"S":"x"}}'),
        base64url('{"__proto__":{"polluted":true}}'),
        base64url(`{"pk":"${'x'.repeat(3000)}"}`),
        base64url('\ud800'),
      ]) {
        cases.push(refused(value));
      }
      // Well-formed keys that this listing did not give out: never a 5xx.
      for (const forged of ['{}', '{"pk":"MODEL#zz","sk":"META"}', '{"pk":"EVAL#x","sk":"z","gsi1pk":"y"}']) {
        cases.push(maybe(`${name}=${base64url(forged)}`));
      }
    } else {
      for (const value of ['bad%20id!', 'a'.repeat(300), '%ED%A0%80', '%00', '..%2F..'])
        cases.push(refused(value));
      cases.push(maybe(`${name}=${world.real.modelId}&${name}=bad%20id!`));
    }
  }
  return cases;
}

interface Outcome {
  readonly case: Case;
  readonly response: RawResponse;
}

/** What is wrong with an answer, if anything (the table check is the caller's). */
function problem({ case: c, response }: Outcome, api: boolean): string | undefined {
  const { status } = response;
  if (status >= 500 || status === 0) return `answered ${status}: ${response.text.slice(0, 300)}`;
  if (status < 400) return 'refused' in c.expect ? `accepted with ${status}` : undefined;
  if ('valid' in c.expect && status !== 404 && status !== 409)
    return `a valid body answered ${status}: ${response.text.slice(0, 300)}`;
  if ('refused' in c.expect && !c.expect.refused.includes(status))
    return `answered ${status}, expected ${c.expect.refused.join('/')}: ${response.text.slice(0, 300)}`;
  // A page's path the router does not match (`..`, an empty segment) gets the gateway's JSON error.
  const unrouted = (status === 404 || status === 405) && response.json?.error?.issues?.length === 0;
  if (!api && !unrouted) {
    return response.contentType.startsWith('text/html')
      ? undefined
      : `answered ${response.contentType}, not a page`;
  }
  const error = response.json?.error;
  if (!error || typeof error.code !== 'string' || !Array.isArray(error.issues))
    return `answered ${status} without a JSON error: ${response.text.slice(0, 300)}`;
  const field = c.expect.field;
  // A 400 or 413 names what is at fault: a field, or the body as a whole.
  const naming = status === 400 || status === 413;
  if (naming && field && field.length > 0) {
    const name = fieldName(field);
    const parent = fieldName(field.slice(0, -1));
    const last = String(field.at(-1));
    const named = (error.issues as { path: string; message: string }[]).some(
      (issue) =>
        issue.path === name ||
        issue.path.startsWith(`${name}.`) ||
        issue.path.startsWith(`${name}[`) ||
        (issue.path === parent && issue.message.includes(`"${last}"`)),
    );
    if (!named) return `answered ${status} without naming ${name}: ${json(error.issues).slice(0, 300)}`;
  }
  if (
    naming &&
    field &&
    field.length === 0 &&
    !error.issues.some((i: { path: string }) => i.path === '(body)')
  )
    return `answered ${status} without naming the body: ${json(error.issues).slice(0, 300)}`;
  return undefined;
}

describe('every route under hostile input', () => {
  let h: Harness;
  let world: World;
  let operations: Operation[];

  /** A case's answer; a connection the server drops is an answer of status 0, reported as such. */
  const send = (c: Case): Promise<RawResponse> =>
    rawRequest(h.url, c.method, c.path, {
      headers: { ...(c.key ? { 'x-api-key': c.key } : {}), ...c.headers },
      ...(c.body !== undefined ? { body: c.body } : {}),
    }).catch((error: Error) => ({ status: 0, contentType: '', text: String(error), json: undefined }));

  let tables: ReturnType<typeof tableSnapshots>;
  const snapshot = () => tables.snapshot();

  /** Waits until the tables hold still (the workflow has sent its requests and waits). */
  async function settledSnapshot(): Promise<string> {
    let last = await snapshot();
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 150));
      const now = await snapshot();
      if (now === last) return now;
      last = now;
    }
  }

  /**
   * Runs a route's cases: refused ones together, between two snapshots that must be equal; the
   * others one at a time, each refusal between two equal snapshots. Answers every problem found.
   */
  async function sweep(cases: Case[], api = true): Promise<string[]> {
    const problems: string[] = [];
    const refused = cases.filter((c) => 'refused' in c.expect);
    const safe = cases.filter((c) => 'safe' in c.expect);
    const before = await snapshot();
    const outcomes = await inBatches(refused, 6, async (c) => ({ case: c, response: await send(c) }));
    for (const outcome of outcomes) {
      const found = problem(outcome, api);
      if (found)
        problems.push(
          `${outcome.case.method} ${outcome.case.path.slice(0, 120)} [${outcome.case.name}] ${found}`,
        );
    }
    if ((await snapshot()) !== before)
      problems.push(`${cases[0]?.method} ${cases[0]?.path}: refused requests wrote`);
    let current = await snapshot();
    for (const c of safe) {
      const outcome = { case: c, response: await send(c) };
      const found = problem(outcome, api);
      if (found) problems.push(`${c.method} ${c.path.slice(0, 120)} [${c.name}] ${found}`);
      const after = await snapshot();
      if (outcome.response.status >= 400 && after !== current)
        problems.push(
          `${c.method} ${c.path.slice(0, 120)} [${c.name}] refused with ${outcome.response.status} but wrote`,
        );
      current = after;
    }
    return problems;
  }

  beforeAll(async () => {
    vi.spyOn(console, 'log').mockImplementation(() => {});
    h = await Harness.start({ schedulerTickSeconds: 0 });
    tables = tableSnapshots(h.runtime.dynamoEndpoint);
    await h.registerModel('spare');
    await h.registerModel('hostile', { approvalTimeoutHours: 24, agents: ['investigate'] });
    // Both take actuals, so that the actuals route checks what it is sent.
    for (const modelId of ['spare', 'hostile']) {
      const updated = await h.call('PUT', `/v1/models/${modelId}`, {
        body: { ...modelBody, groundTruth: { lookbackDays: 7 } },
      });
      if (updated.status !== 200) throw new Error(`model update: ${updated.status} ${updated.text}`);
    }
    const { incidentId } = await h.breachOverHttp('hostile');
    const { evaluationId } = (await h.incident(incidentId)) as unknown as { evaluationId: string };
    const link = new URL((await h.message('dsl@example.com', /Investigate/)).links[0] as string);
    const key = async (body: unknown) => (await h.call('POST', '/v1/models/hostile/keys', { body })).body;
    const revocable = await key({ scopes: ['ingest'] });
    const webhook = await h.call('POST', '/v1/webhooks', { body: validBodies['POST /v1/webhooks'] });
    world = {
      real: {
        modelId: 'hostile',
        incidentId,
        evaluationId,
        keyId: revocable.keyId,
        webhookId: webhook.body.webhookId,
        approvalId: link.pathname.split('/').at(-1) as string,
      },
      absent: {
        modelId: 'no-such-model',
        incidentId: `inc_${'0'.repeat(20)}`,
        evaluationId: '00000000-0000-4000-8000-000000000000',
        keyId: `key_${'0'.repeat(16)}`,
        webhookId: `wh_${'0'.repeat(20)}`,
        approvalId: `apr_${'0'.repeat(32)}`,
      },
      keys: {
        ingest: (await key({ scopes: ['ingest'] })).key,
        candidate: (await key({ scopes: ['candidate'] })).key,
        agent: (await key({ scopes: ['agent'], name: 'triage-bot' })).key,
      },
      approval: {
        id: link.pathname.split('/').at(-1) as string,
        sig: link.searchParams.get('sig') as string,
      },
    };
    const document = (await h.call('GET', '/openapi.json', { key: null })).body as {
      paths: Record<string, Record<string, Omit<Operation, 'method' | 'path'>>>;
    };
    operations = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => ({ ...operation, method, path })),
    );
    await settledSnapshot();
  }, 120_000);
  afterAll(async () => {
    tables?.close();
    await h?.close();
  });

  it('enumerates every route of the API from its OpenAPI document', () => {
    expect(operations.length).toBeGreaterThan(30);
    expect(
      operations
        .filter((o) => o.requestBody)
        .map((o) => `${o.method.toUpperCase()} ${o.path}`)
        .sort(),
    ).toEqual(Object.keys(validBodies).sort());
  });

  it('refuses every hostile body, path and query of the JSON API with a 4xx naming the field, writing nothing', async () => {
    const problems: string[] = [];
    for (const operation of operations) {
      if (operation.path.startsWith('/approvals/') || operation.path.startsWith('/views/')) continue;
      const cases = [
        ...(operation.requestBody ? bodyCases(operation, world) : []),
        ...pathCases(operation, world),
        ...queryCases(operation, world),
      ];
      problems.push(...(await sweep(cases)));
    }
    expect(problems).toEqual([]);
  }, 120_000);

  it('refuses a hostile API key with the JSON 401 of the API, writing nothing', async () => {
    const cases: Case[] = ['x'.repeat(8000), 'vgl_admin_\u00e9\u00ff', ' ', ADMIN_KEY.toUpperCase()].flatMap(
      (key) => [
        {
          name: `key ${key.slice(0, 20)}`,
          method: 'GET',
          path: '/v1/models',
          key,
          expect: { refused: [401] },
        },
        {
          name: `key ${key.slice(0, 20)} on ingest`,
          method: 'POST',
          path: '/v1/models/hostile/metrics',
          key,
          headers: jsonType,
          body: json(validBodies['POST /v1/models/{modelId}/metrics']),
          expect: { refused: [401] },
        },
      ],
    );

    expect(await sweep(cases)).toEqual([]);
  });

  it('refuses forged links, form tokens and hostile forms on the approval pages with a 4xx page, writing nothing', async () => {
    const { id, sig } = world.approval;
    const signed = (approvalId: string, signature = sig) =>
      `/approvals/${approvalId}?sig=${encodeURIComponent(signature)}`;
    const opened = await rawRequest(h.url, 'GET', signed(id));
    const token = /name="token" value="([^"]+)"/.exec(opened.text)?.[1] as string;
    expect(opened.status).toBe(200);
    expect(token).toBeTruthy();
    const formType = { 'content-type': 'application/x-www-form-urlencoded' };
    const page = (
      name: string,
      method: string,
      path: string,
      statuses: number[],
      body?: string,
      headers = formType,
    ): Case => ({
      name,
      method,
      path,
      key: null,
      ...(body !== undefined ? { body, headers } : {}),
      expect: { refused: statuses },
    });
    const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
    const incident = `/views/incidents/${world.real.incidentId}`;
    const report = `/views/evaluations/${world.real.evaluationId}/report`;
    const forbidden = [403];
    const cases: Case[] = [
      page('a link without its signature', 'GET', `/approvals/${id}`, forbidden),
      page('a forged signature', 'GET', signed(id, 'forged'), forbidden),
      page('a signature of 5,000 characters', 'GET', signed(id, 'a'.repeat(5000)), forbidden),
      page('a signature with a lone surrogate', 'GET', `/approvals/${id}?sig=%ED%A0%80`, forbidden),
      page('the signature of another approval', 'GET', signed(world.absent.approvalId as string), [403, 404]),
      page('a JSON decision', 'POST', signed(id), [415], json({ token, decision: 'retrain' }), jsonType),
      page(
        'a form without a content-type',
        'POST',
        signed(id),
        [415],
        form({ token, decision: 'retrain' }),
        {} as never,
      ),
      page('a form as text/plain', 'POST', signed(id), [415], form({ token, decision: 'retrain' }), {
        'content-type': 'text/plain',
      }),
      page(
        'a form without its token',
        'POST',
        signed(id),
        forbidden,
        form({ decision: 'retrain', comment: 'x' }),
      ),
      page(
        'a forged form token',
        'POST',
        signed(id),
        forbidden,
        form({ token: 'forged', decision: 'retrain' }),
      ),
      page(
        'a form token of 10 KB',
        'POST',
        signed(id),
        forbidden,
        form({ token: 'a'.repeat(10_000), decision: 'retrain' }),
      ),
      page(
        'a form token with its first character changed',
        'POST',
        signed(id),
        forbidden,
        form({ token: `${token.startsWith('A') ? 'B' : 'A'}${token.slice(1)}`, decision: 'retrain' }),
      ),
      page(
        'a form token spelt another way (an unused bit of its last character set)',
        'POST',
        signed(id),
        forbidden,
        form({
          token: `${token.slice(0, -1)}${base64urlAlphabet[base64urlAlphabet.indexOf(token.at(-1) as string) ^ 1]}`,
          decision: 'retrain',
        }),
      ),
      page(
        'a link signature spelt another way',
        'GET',
        `/approvals/${id}?sig=${sig.slice(0, -1)}${base64urlAlphabet[base64urlAlphabet.indexOf(sig.at(-1) as string) ^ 2]}`,
        forbidden,
      ),
      page(
        'another approval with this form',
        'POST',
        signed(world.absent.approvalId as string),
        [403, 404],
        form({ token, decision: 'retrain' }),
      ),
      page('no decision', 'POST', signed(id), [400], form({ token, comment: 'x' })),
      page('an unknown decision', 'POST', signed(id), [400], form({ token, decision: 'bogus' })),
      page('__proto__ as the decision', 'POST', signed(id), [400], form({ token, decision: '__proto__' })),
      page(
        'reserved field names',
        'POST',
        signed(id),
        [400],
        `__proto__=x&constructor=y&token=${encodeURIComponent(token)}&decision=bogus`,
      ),
      page(
        'malformed escapes',
        'POST',
        signed(id),
        [400, 403],
        `token=%zz&decision=%E0%A4%A&comment=%ED%A0%80`,
      ),
      page(
        `a form over ${MAX_FORM_BYTES} bytes`,
        'POST',
        signed(id),
        [413],
        form({ token, decision: 'retrain', comment: 'a'.repeat(MAX_FORM_BYTES) }),
      ),
      page('an incident view without signature', 'GET', incident, forbidden),
      page(
        'an incident view with a forged signature',
        'GET',
        `${incident}?exp=9999999999&sig=forged`,
        forbidden,
      ),
      page('an incident view with a malformed expiry', 'GET', `${incident}?exp=1e400&sig=forged`, forbidden),
      page('a report view with a forged signature', 'GET', `${report}?exp=9999999999&sig=forged`, forbidden),
      page(
        'a view of no incident',
        'GET',
        `/views/incidents/${world.absent.incidentId}?exp=9999999999&sig=x`,
        [404],
      ),
      page(
        'a view of no evaluation',
        'GET',
        `/views/evaluations/${world.absent.evaluationId}/report?exp=1&sig=x`,
        [404],
      ),
    ];
    for (const path of [
      '/approvals/{approvalId}',
      '/views/incidents/{incidentId}',
      '/views/evaluations/{evaluationId}/report',
    ]) {
      const method = path.startsWith('/approvals/') ? 'post' : 'get';
      for (const c of pathCases({ method, path }, world)) {
        if (c.name.endsWith('names nothing')) continue;
        cases.push({
          ...c,
          key: null,
          ...(method === 'post' ? { headers: formType, body: form({ token, decision: 'retrain' }) } : {}),
        });
      }
    }

    const problems = await sweep(cases, false);
    const reopened = await rawRequest(h.url, 'GET', signed(id));

    expect(problems).toEqual([]);
    expect(reopened.status).toBe(200);
    expect(reopened.text).toContain('name="token"');
  });
});
