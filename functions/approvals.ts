import { decideApproval, viewApproval, viewEarlierDecisions } from '#commons/approvals/decide';
import { decisionsBefore, listDecisions } from '#commons/approvals/decision-pages';
import { approvalPage, decidedPage } from '#commons/approvals/page';
import { getEvaluation } from '#commons/evaluation/store';
import { parseForm } from '#commons/html/form';
import { htmlHandler } from '#commons/html/handler';
import { HttpError } from '#commons/http';
import { requestOrigin } from '#commons/incidents/origin';
import { getIncident } from '#commons/incidents/store';
import { getModel } from '#commons/registry/store';
import { evaluationReportHtml } from '#commons/reports/evaluation-html';
import { incidentEarlierDecisionsPage, incidentViewPage } from '#commons/views/incident-page';
import { refuseExpiredView, viewerOf, viewersOf, viewLink } from '#commons/views/links';
import * as z from '#commons/zod';
import { metrics } from '#powertools/metrics';
// Every page checks a signature with the signing key: its Secrets Manager client loads at start.
import '#commons/approvals/secrets-client';

const approvalPath = z.object({ approvalId: z.string().check(z.regex(/^apr_[0-9a-f]{32}$/)) });
const incidentPath = z.object({ incidentId: z.string().check(z.regex(/^inc_[0-9a-f]{20}$/)) });
const evaluationPath = z.object({ evaluationId: z.uuid() });

function notFound(what: string): HttpError {
  return new HttpError(404, 'not_found', `There is no such ${what}.`);
}

function approvalIdOf(pathParameters: Record<string, string | undefined> | null): string {
  const parsed = approvalPath.safeParse(pathParameters ?? {});
  if (!parsed.success) throw new HttpError(404, 'not_found', 'There is no such approval request.');
  return parsed.data.approvalId;
}

/**
 * The pages people open from their emails, public and signed. Approval pages: `GET` shows the
 * evidence and a form and changes nothing (mail scanners open links); `POST` decides, once, as
 * the recipient the link was signed for. Views: an incident and an evaluation report, read-only.
 */
export const handler = htmlHandler({
  'GET /approvals/{approvalId}': async (event) => {
    const approvalId = approvalIdOf(event.pathParameters);
    const pageToken = event.queryStringParameters?.page;
    const view =
      pageToken === undefined
        ? await viewApproval(approvalId, event.queryStringParameters?.sig)
        : await viewEarlierDecisions(approvalId, pageToken);
    return approvalPage(view);
  },

  'GET /views/incidents/{incidentId}': async (event) => {
    const parsed = incidentPath.safeParse(event.pathParameters ?? {});
    if (!parsed.success) throw notFound('incident');
    const incident = await getIncident(parsed.data.incidentId);
    const model = incident && (await getModel(incident.modelId));
    if (!incident || !model) throw notFound('incident');
    const query = event.queryStringParameters;
    if (query?.page !== undefined) {
      // A further page of the decisions: its page token, signed for a viewer and the link's expiry.
      const expiresAt = query.exp ?? '';
      const { recipient, decisions } = await decisionsBefore(
        query.page,
        await listDecisions(incident.incidentId),
        { list: `incident:${incident.incidentId}`, recipients: viewersOf(model), expiresAt },
      );
      refuseExpiredView(Number(expiresAt));
      return incidentEarlierDecisionsPage({
        incidentId: incident.incidentId,
        decisions,
        viewer: recipient,
        expiresAt: Number(expiresAt),
      });
    }
    const target = { kind: 'incident', id: incident.incidentId } as const;
    const { recipient, expiresAt } = await viewerOf(target, viewersOf(model), query);
    return incidentViewPage({
      incident,
      model,
      decisions: await listDecisions(incident.incidentId),
      viewer: recipient,
      expiresAt,
      ...(incident.evaluationId
        ? {
            reportLink: await viewLink(
              { kind: 'evaluation', id: incident.evaluationId },
              recipient,
              expiresAt,
            ),
          }
        : {}),
    });
  },

  'GET /views/evaluations/{evaluationId}/report': async (event) => {
    const parsed = evaluationPath.safeParse(event.pathParameters ?? {});
    if (!parsed.success) throw notFound('evaluation');
    const evaluation = await getEvaluation(parsed.data.evaluationId);
    const model = evaluation && (await getModel(evaluation.modelId));
    if (!evaluation || !model) throw notFound('evaluation');
    const target = { kind: 'evaluation', id: evaluation.evaluationId } as const;
    await viewerOf(target, viewersOf(model), event.queryStringParameters);
    return {
      statusCode: 200,
      headers: {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        'referrer-policy': 'no-referrer',
        'x-content-type-options': 'nosniff',
        'x-robots-tag': 'noindex, nofollow',
        'content-security-policy':
          "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'",
      },
      body: await evaluationReportHtml(model, evaluation),
    };
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
