import type { Stage } from 'aws-cdk-lib/aws-apigateway';
import { CfnWebACL, CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import {
  type FrontDoorRefusal,
  frontDoorRefusals,
  greaterThanPattern,
  MAX_BODY_BYTES,
  MAX_UNTYPED_BODY_BYTES,
  MEDIA_TYPE_PATTERN,
} from '../../functions/commons/api/request-size.ts';
import type { RouteDefinition } from '../routes.ts';

/** Requests in five minutes from one address, over the whole API, unless configured. */
export const DEFAULT_API_RATE_LIMIT = 30_000;
/** The lowest limit AWS WAF accepts in a rate-based rule. */
const MIN_RATE_LIMIT = 10;
/** Requests in five minutes from one address to the public routes (approval pages, health, API description). */
export const PUBLIC_RATE_LIMIT = 300;

export interface ApiFirewallProps {
  readonly stage: Stage;
  /** The routes anyone may call without a key. */
  readonly publicRoutes: readonly RouteDefinition[];
  /** Requests in five minutes from one address over the whole API; DEFAULT_API_RATE_LIMIT by default. */
  readonly rateLimit?: number;
}

type Statement = CfnWebACL.StatementProperty;

/**
 * The API stage's web ACL (AWS WAF, evaluated before API Gateway's throttling and the
 * authorizer). In priority order:
 * 1. a rate-based rule per client address over the whole API, against a single source flooding
 *    the stage;
 * 2. a lower rate-based rule per address on the public routes, so that approval pages and
 *    probes cannot be used to exhaust the API;
 * 3. the AWS managed common rule set and known-bad-inputs rule set on the public routes. The
 *    keyed routes are left out: their bodies are machine data (ingest batches up to 4.5 MB),
 *    validated by schema and never rendered unescaped, where pattern rules would refuse
 *    legitimate records. The common set's body size rule only counts: a post-implementation
 *    review (four fields of up to 10,000 characters) is larger than its 8 KB;
 * 4. the request size rules on every route, so that no request reaches API Gateway's invocation
 *    with an event Lambda would refuse (docs/architecture.md, "Request size"): a chunked body
 *    (411), a `Content-Length` past the body limit, or past the limit of a body without a media
 *    type, which API Gateway passes as escaped text (413), each with the API's JSON error.
 * Sampled requests are off on every rule: a sample keeps the request's headers with their values,
 * and API keys travel in `x-api-key`. CloudWatch metrics stay on.
 */
export class ApiFirewall extends Construct {
  readonly webAcl: CfnWebACL;

  constructor(scope: Construct, id: string, props: ApiFirewallProps) {
    super(scope, id);
    const rateLimit = props.rateLimit ?? DEFAULT_API_RATE_LIMIT;
    if (rateLimit < MIN_RATE_LIMIT) {
      throw new Error(
        `The web ACL's rate limit must be at least ${MIN_RATE_LIMIT} requests in 5 minutes, got ${rateLimit}`,
      );
    }
    const visibility = (metricName: string): CfnWebACL.VisibilityConfigProperty => ({
      metricName,
      cloudWatchMetricsEnabled: true,
      sampledRequestsEnabled: false,
    });
    const publicRoutes = publicRoutesStatement(props.publicRoutes);
    const managed = (name: string, priority: number, overrides: string[] = []): CfnWebACL.RuleProperty => ({
      name,
      priority,
      overrideAction: { none: {} },
      statement: {
        managedRuleGroupStatement: {
          vendorName: 'AWS',
          name,
          scopeDownStatement: publicRoutes,
          ...(overrides.length
            ? { ruleActionOverrides: overrides.map((rule) => ({ name: rule, actionToUse: { count: {} } })) }
            : {}),
        },
      },
      visibilityConfig: visibility(name),
    });

    this.webAcl = new CfnWebACL(this, 'WebAcl', {
      scope: 'REGIONAL',
      description: 'Vigil API: rate limits per client address, managed rules on the public routes',
      defaultAction: { allow: {} },
      visibilityConfig: visibility('VigilApi'),
      rules: [
        {
          name: 'RateLimitPerAddress',
          priority: 0,
          action: { block: {} },
          statement: {
            rateBasedStatement: {
              limit: rateLimit,
              evaluationWindowSec: 300,
              aggregateKeyType: 'IP',
            },
          },
          visibilityConfig: visibility('RateLimitPerAddress'),
        },
        {
          name: 'PublicRoutesRateLimitPerAddress',
          priority: 1,
          action: { block: {} },
          statement: {
            rateBasedStatement: {
              limit: PUBLIC_RATE_LIMIT,
              evaluationWindowSec: 300,
              aggregateKeyType: 'IP',
              scopeDownStatement: publicRoutes,
            },
          },
          visibilityConfig: visibility('PublicRoutesRateLimitPerAddress'),
        },
        managed('AWSManagedRulesCommonRuleSet', 2, ['SizeRestrictions_BODY']),
        managed('AWSManagedRulesKnownBadInputsRuleSet', 3),
        ...requestSizeRules(4, visibility),
      ],
      customResponseBodies: Object.fromEntries(
        Object.values(frontDoorRefusals).map((refusal) => [
          refusal.rule,
          { contentType: 'APPLICATION_JSON', content: JSON.stringify(refusal.body) },
        ]),
      ),
    });

    // The stage's ARN refers to the stage, so the association waits for it.
    new CfnWebACLAssociation(this, 'StageAssociation', {
      resourceArn: props.stage.stageArn,
      webAclArn: this.webAcl.attrArn,
    });
  }
}

/**
 * Matches the public routes by URI path: a route with path parameters by its static prefix
 * (`/approvals/`), the others by their whole path at the end of the URI (after the stage or a
 * custom domain's base path).
 */
function publicRoutesStatement(routes: readonly RouteDefinition[]): Statement {
  const matches = new Map<string, Statement>();
  for (const route of routes) {
    const parameter = route.path.indexOf('{');
    const [constraint, searchString] =
      parameter >= 0 ? ['CONTAINS', route.path.slice(0, parameter)] : ['ENDS_WITH', route.path];
    matches.set(`${constraint} ${searchString}`, {
      byteMatchStatement: {
        fieldToMatch: { uriPath: {} },
        positionalConstraint: constraint,
        searchString,
        textTransformations: [{ priority: 0, type: 'NONE' }],
      },
    });
  }
  const statements = [...matches.values()];
  if (statements.length === 0) throw new Error('The API has no public route to protect');
  return statements.length === 1 ? (statements[0] as Statement) : { orStatement: { statements } };
}

/** A header's value, by its lower-case name (WAF takes a single header's name as given, case-insensitively). */
const header = (name: string) => ({ singleHeader: { Name: name } });
const asIs = [{ priority: 0, type: 'NONE' }];

/**
 * The request size rules, from the constants the handlers and the local gateway use: headers are
 * compared as text, so a `Content-Length` past a limit is a regular expression over its digits.
 */
function requestSizeRules(
  first: number,
  visibility: (metricName: string) => CfnWebACL.VisibilityConfigProperty,
): CfnWebACL.RuleProperty[] {
  const lengthOver = (limit: number): Statement => ({
    regexMatchStatement: {
      fieldToMatch: header('content-length'),
      regexString: greaterThanPattern(limit),
      textTransformations: asIs,
    },
  });
  const rule = (
    refusal: FrontDoorRefusal,
    priority: number,
    statement: Statement,
  ): CfnWebACL.RuleProperty => ({
    name: refusal.rule,
    priority,
    action: {
      block: { customResponse: { responseCode: refusal.statusCode, customResponseBodyKey: refusal.rule } },
    },
    statement,
    visibilityConfig: visibility(refusal.rule),
  });
  return [
    rule(frontDoorRefusals.chunked, first, {
      sizeConstraintStatement: {
        fieldToMatch: header('transfer-encoding'),
        comparisonOperator: 'GT',
        size: 0,
        textTransformations: asIs,
      },
    }),
    rule(frontDoorRefusals.tooLarge, first + 1, lengthOver(MAX_BODY_BYTES)),
    rule(frontDoorRefusals.untypedTooLarge, first + 2, {
      andStatement: {
        statements: [
          lengthOver(MAX_UNTYPED_BODY_BYTES),
          {
            notStatement: {
              statement: {
                regexMatchStatement: {
                  fieldToMatch: header('content-type'),
                  regexString: MEDIA_TYPE_PATTERN,
                  textTransformations: asIs,
                },
              },
            },
          },
        ],
      },
    }),
  ];
}
