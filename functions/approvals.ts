import * as z from 'zod';
import { decideApproval, viewApproval } from '#commons/approvals/decide';
import { approvalPage, decidedPage } from '#commons/approvals/page';
import { parseForm } from '#commons/html/form';
import { htmlHandler } from '#commons/html/handler';
import { HttpError } from '#commons/http';
import { requestOrigin } from '#commons/incidents/origin';
import { metrics } from '#powertools/metrics';

const approvalPath = z.object({ approvalId: z.string().regex(/^apr_[0-9a-f]{32}$/) });

function approvalIdOf(pathParameters: Record<string, string | undefined> | null): string {
  const parsed = approvalPath.safeParse(pathParameters ?? {});
  if (!parsed.success) throw new HttpError(404, 'not_found', 'There is no such approval request.');
  return parsed.data.approvalId;
}

/**
 * The approval pages, public and signed: `GET` shows the evidence and a form and changes nothing
 * (mail scanners open links); `POST` decides, once, as the recipient the link was signed for.
 */
export const handler = htmlHandler({
  'GET /approvals/{approvalId}': async (event) => {
    const view = await viewApproval(approvalIdOf(event.pathParameters), event.queryStringParameters?.sig);
    return approvalPage(view);
  },

  'POST /approvals/{approvalId}': async (event) => {
    const approvalId = approvalIdOf(event.pathParameters);
    const fields = parseForm(event);
    const decided = await decideApproval(
      approvalId,
      {
        token: fields.token,
        decision: fields.decision,
        comment: fields.comment,
        pir: {
          summary: fields.summary,
          rootCause: fields.rootCause,
          lessonsLearned: fields.lessonsLearned,
          actions: fields.actions,
        },
      },
      requestOrigin(event),
    );
    metrics.addMetric('DecisionsRecorded', 'Count', 1);
    return decidedPage(decided);
  },
});
