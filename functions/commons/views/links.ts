import { requireEnv } from '#commons/config';
import { HttpError } from '#commons/http';
import { uniqueRecipients } from '#commons/notifier/index';
import type { ModelRecord } from '#commons/registry/store';
import { sign, signerOf } from '../approvals/signing.ts';

/**
 * Read-only links for the people an email goes to: the incident's page and an evaluation's
 * report, signed like approval links (HMAC of what they open, the recipient and the expiry), so
 * that a person opens them in a browser without an API key. A link carries its expiry and a
 * signature, not the address: the recipient is found by checking the signature against each
 * approver of the model, and a person removed from the approvers loses access at once.
 */
export type ViewTarget =
  | { readonly kind: 'incident'; readonly id: string }
  | { readonly kind: 'evaluation'; readonly id: string };

/** How long a read-only link opens. */
export const VIEW_LINK_SECONDS = 30 * 86400;

function signedSubject(target: ViewTarget): string {
  return `${target.kind}:${target.id}`;
}

function pathOf(target: ViewTarget): string {
  return target.kind === 'incident'
    ? `/views/incidents/${target.id}`
    : `/views/evaluations/${target.id}/report`;
}

/** Everyone a view link of the model may have been sent to. */
export function viewersOf(model: Pick<ModelRecord, 'approvers'>): string[] {
  return uniqueRecipients(Object.values(model.approvers).flat());
}

/**
 * The link of one recipient to a read-only page; `expiresAt` in epoch seconds (by default
 * {@link VIEW_LINK_SECONDS} from now). The base URL is read when the link is built.
 */
export async function viewLink(
  target: ViewTarget,
  recipient: string,
  expiresAt = Math.floor(Date.now() / 1000) + VIEW_LINK_SECONDS,
): Promise<string> {
  const exp = String(expiresAt);
  const sig = await sign('view', { approvalId: signedSubject(target), recipient, expiresAt: exp });
  return `${requireEnv('PUBLIC_URL').replace(/\/+$/, '')}${pathOf(target)}?exp=${exp}&sig=${sig}`;
}

/**
 * Who a view link was signed for, among `recipients`: 403 when the signature matches none of
 * them (or the expiry was changed), 410 when the link has expired. Reads nothing, changes nothing.
 */
export async function viewerOf(
  target: ViewTarget,
  recipients: readonly string[],
  query: Record<string, string | undefined> | null,
): Promise<{ recipient: string; expiresAt: number }> {
  const exp = query?.exp ?? '';
  const recipient = /^\d{1,12}$/.test(exp)
    ? await signerOf('view', { approvalId: signedSubject(target), recipients, expiresAt: exp }, query?.sig)
    : undefined;
  if (!recipient) {
    throw new HttpError(
      403,
      'forbidden',
      'The signature of this link is not valid. Open the link exactly as it came in your email.',
    );
  }
  const expiresAt = Number(exp);
  refuseExpiredView(expiresAt);
  return { recipient, expiresAt };
}

/** 410 once a read-only link (or a further page of its page) has expired; `expiresAt` in epoch seconds. */
export function refuseExpiredView(expiresAt: number): void {
  if (expiresAt * 1000 <= Date.now()) {
    throw new HttpError(
      410,
      'gone',
      `This link expired at ${new Date(expiresAt * 1000).toISOString()}. Ask MLOps for the incident's details.`,
    );
  }
}
