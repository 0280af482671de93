import type { APIGatewayProxyResult } from 'aws-lambda';
import { queryAll } from '#clients/query';
import { requireEnv } from '#commons/config';
import { html, type SafeHtml } from '#commons/html/layout';
import { HttpError } from '#commons/http';
import { incidentKeys as keys } from '#commons/incidents/keys';
import { sign, signerOf } from './signing.ts';
import { MAX_APPROVALS_PER_INCIDENT } from './store.ts';

const table = requireEnv('GOVERNANCE_TABLE');

/**
 * HTML a page that lists an incident's decisions answers at most. An incident keeps up to 1,000
 * requests, and a decision's comment of 4,000 characters takes up to 24 KB of HTML (`"` is
 * `&quot;`): listed whole, a page could pass Lambda's 6 MB response. A page lists the newest
 * decisions that fit beside the rest of it, and links to the earlier ones, page by page.
 */
export const PAGE_BYTES = 1_000_000;

/** What the list's own markup (heading, caption, column heads, the next link) may take besides its rows. */
const SECTION_BYTES = 4096;

/** What a page shows of a decided request. */
export interface DecisionRow {
  readonly approvalId: string;
  readonly step: string;
  readonly decision?: string;
  readonly comment?: string;
  readonly decidedBy?: string;
  readonly decidedAt?: string;
}

/**
 * The decided requests of an incident, oldest first: only the fields a page shows (a projection,
 * so that neither recipients, reviews nor task tokens are read), at most every request the
 * incident may have (`record-limits.ts`).
 */
export async function listDecisions(incidentId: string): Promise<DecisionRow[]> {
  const items = await queryAll(
    {
      TableName: table,
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :pk',
      FilterExpression: '#status = :decided',
      ProjectionExpression: '#id, #step, #decision, #comment, #by, #at',
      ExpressionAttributeNames: {
        '#status': 'status',
        '#id': 'approvalId',
        '#step': 'step',
        '#decision': 'decision',
        '#comment': 'comment',
        '#by': 'decidedBy',
        '#at': 'decidedAt',
      },
      ExpressionAttributeValues: { ':pk': keys.approvalsIndex(incidentId), ':decided': 'decided' },
    },
    MAX_APPROVALS_PER_INCIDENT,
    `decisions of incident ${incidentId}`,
  );
  return items as unknown as DecisionRow[];
}

/** Where a list's next-page links lead, and who they are for. */
export interface DecisionList {
  /** The list: `approval:{approvalId}` (an approval page's) or `incident:{incidentId}` (a view's). */
  readonly list: string;
  /** The person the page was opened for, and when their link expires: the page token's too. */
  readonly recipient: string;
  readonly expiresAt: string;
  /** Query parameters a next-page link keeps besides `page` (a view link's `exp`). */
  readonly query?: Readonly<Record<string, string>>;
}

/** The decisions a page lists (rows, oldest first), how many earlier ones it does not, and the link to them. */
export interface DecisionSlice {
  readonly rows: readonly SafeHtml[];
  readonly earlier: number;
  /** A relative link (`?page=...`) to the next page: the decisions before these. */
  readonly next?: string;
}

/** The place of a token that starts from the newest decision. */
const NEWEST = 'newest';
const PAGE_TOKEN = /^(apr_[0-9a-f]{32}|newest)\.([A-Za-z0-9_-]{43})$/;
const TOKEN_CHARS = 4 + 32 + 1 + 43;

/**
 * A page that lists `decisions` (oldest first): `render` draws it with a slice of them. It lists
 * the newest decisions whose rows fit in what {@link PAGE_BYTES} leaves beside the rest of the
 * page (at least one when `atLeastOne`), oldest of them first, and links to the earlier ones.
 */
export async function pageWithDecisions(
  render: (slice: DecisionSlice) => APIGatewayProxyResult,
  decisions: readonly DecisionRow[],
  row: (decision: DecisionRow) => SafeHtml,
  link: DecisionList,
  options: { readonly atLeastOne?: boolean; readonly budget?: number } = {},
): Promise<APIGatewayProxyResult> {
  const budget = options.budget ?? PAGE_BYTES;
  // The page with no row and the longest next link: what is left is for the rows.
  const longestNext = nextHref(link, 'x'.repeat(TOKEN_CHARS));
  const rest = bytes(render({ rows: [], earlier: decisions.length, next: longestNext }).body);
  let room = budget - rest - SECTION_BYTES;
  const rows: SafeHtml[] = [];
  let start = decisions.length;
  while (start > 0) {
    const markup = row(decisions[start - 1] as DecisionRow);
    const size = bytes(markup.value);
    if (size > room && !(options.atLeastOne && rows.length === 0)) break;
    rows.unshift(markup);
    room -= size;
    start -= 1;
  }
  if (start === 0) return render({ rows, earlier: 0 });
  const before = start < decisions.length ? (decisions[start] as DecisionRow).approvalId : NEWEST;
  return render({ rows, earlier: start, next: nextHref(link, await pageToken(link, before)) });
}

/**
 * The decisions a page token opens: those before the place it was signed for, oldest first, and
 * who it was signed for among `recipients`. A token that is not one of this list's, for this
 * expiry and one of these people (tampered, of another list or incident, made up) is refused
 * with 400 naming `page`.
 */
export async function decisionsBefore(
  token: string,
  decisions: readonly DecisionRow[],
  list: Omit<DecisionList, 'recipient' | 'query'> & { readonly recipients: readonly string[] },
): Promise<{ recipient: string; decisions: readonly DecisionRow[] }> {
  const parsed = PAGE_TOKEN.exec(token);
  const before = parsed?.[1] as string;
  const recipient =
    parsed &&
    (await signerOf(
      'page',
      { approvalId: signedPlace(list.list, before), recipients: list.recipients, expiresAt: list.expiresAt },
      parsed[2],
    ));
  const end = before === NEWEST ? decisions.length : decisions.findIndex((d) => d.approvalId === before);
  if (!recipient || end < 0) throw badPage();
  return { recipient, decisions: decisions.slice(0, end) };
}

/** The page token of the decisions before `before`: its place and an HMAC of purpose `page` over it. */
async function pageToken(link: DecisionList, before: string): Promise<string> {
  const signature = await sign('page', {
    approvalId: signedPlace(link.list, before),
    recipient: link.recipient,
    expiresAt: link.expiresAt,
  });
  return `${before}.${signature}`;
}

function signedPlace(list: string, before: string): string {
  return `${list}#before#${before}`;
}

function nextHref(link: DecisionList, token: string): string {
  return `?${new URLSearchParams({ ...link.query, page: token })}`;
}

function bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

function badPage(): HttpError {
  return new HttpError(
    400,
    'invalid_request',
    'The link’s page parameter is not a page of this list: follow the link to the earlier decisions on the page before.',
    [{ path: 'query.page', message: 'not a page of this list' }],
  );
}

/** The sentence under a list that goes on: how many earlier decisions, and the link to them. */
export function earlierDecisionsLink(slice: DecisionSlice): SafeHtml {
  if (!slice.next) return html``;
  return html`<p><a href="${slice.next}" rel="next">${slice.earlier} earlier decisions</a>, page by page back in time. Opening them changes nothing.</p>`;
}
