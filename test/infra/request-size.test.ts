import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../bin/vigil.ts';
import {
  frontDoorRefusal,
  frontDoorRefusals,
  greaterThanPattern,
  MAX_BODY_BYTES,
  MAX_UNTYPED_BODY_BYTES,
  MEDIA_TYPE_PATTERN,
} from '../../functions/commons/api/request-size.ts';

interface WafRule {
  Name: string;
  Priority: number;
  Action?: { Block?: { CustomResponse?: { ResponseCode: number; CustomResponseBodyKey: string } } };
  Statement: Record<string, unknown>;
}

let service: Template;
beforeAll(() => {
  // Without Lambda bundling, with cdk-nag run by the synth.
  const built = buildApp(
    new App({ context: { 'vigil:region': 'eu-west-1', 'aws:cdk:bundling-stacks': [] } }),
  );
  built.app.synth();
  service = Template.fromStack(built.service);
});

function webAcl() {
  const acls = Object.values(service.findResources('AWS::WAFv2::WebACL'));
  expect(acls).toHaveLength(1);
  return acls[0]?.Properties as {
    Rules: WafRule[];
    CustomResponseBodies: Record<string, { ContentType: string; Content: string }>;
  };
}

const header = (name: string) => ({ SingleHeader: { Name: name } });
const asIs = [{ Priority: 0, Type: 'NONE' }];

describe('request size at the front door', () => {
  it('declares every media type binary, so that bodies reach functions as base64, never escaped', () => {
    service.hasResourceProperties('AWS::ApiGateway::RestApi', { BinaryMediaTypes: ['*/*'] });
  });

  it('refuses a chunked body, and a Content-Length past either limit, after the existing rules', () => {
    const { Rules } = webAcl();
    const byName = new Map(Rules.map((rule) => [rule.Name, rule]));
    const chunked = byName.get('ChunkedBody');
    const tooLarge = byName.get('BodyTooLarge');
    const untyped = byName.get('UntypedBodyTooLarge');
    const existing = Math.max(
      ...Rules.filter((r) => !['ChunkedBody', 'BodyTooLarge', 'UntypedBodyTooLarge'].includes(r.Name)).map(
        (r) => r.Priority,
      ),
    );
    expect([chunked?.Priority, tooLarge?.Priority, untyped?.Priority]).toEqual([
      existing + 1,
      existing + 2,
      existing + 3,
    ]);
    expect(new Set(Rules.map((r) => r.Priority)).size).toBe(Rules.length);

    expect(chunked?.Statement).toEqual({
      SizeConstraintStatement: {
        FieldToMatch: header('transfer-encoding'),
        ComparisonOperator: 'GT',
        Size: 0,
        TextTransformations: asIs,
      },
    });
    const lengthOver = (limit: number) => ({
      RegexMatchStatement: {
        FieldToMatch: header('content-length'),
        RegexString: greaterThanPattern(limit),
        TextTransformations: asIs,
      },
    });
    expect(tooLarge?.Statement).toEqual(lengthOver(MAX_BODY_BYTES));
    expect(untyped?.Statement).toEqual({
      AndStatement: {
        Statements: [
          lengthOver(MAX_UNTYPED_BODY_BYTES),
          {
            NotStatement: {
              Statement: {
                RegexMatchStatement: {
                  FieldToMatch: header('content-type'),
                  RegexString: MEDIA_TYPE_PATTERN,
                  TextTransformations: asIs,
                },
              },
            },
          },
        ],
      },
    });
  });

  it("answers each refusal with the API's JSON error naming the body, as the local gateway does", () => {
    const { Rules, CustomResponseBodies } = webAcl();
    for (const refusal of Object.values(frontDoorRefusals)) {
      const rule = Rules.find((r) => r.Name === refusal.rule);
      expect(rule?.Action).toEqual({
        Block: { CustomResponse: { ResponseCode: refusal.statusCode, CustomResponseBodyKey: refusal.rule } },
      });
      const body = CustomResponseBodies[refusal.rule];
      expect(body?.ContentType).toBe('APPLICATION_JSON');
      expect(JSON.parse(body?.Content ?? '')).toEqual(refusal.body);
      expect(JSON.parse(body?.Content ?? '').error.issues[0].path).toBe('(body)');
    }
  });

  it('reads a header with the regular expressions the local gateway reads it with', () => {
    const { Rules } = webAcl();
    const regex = (name: string) => {
      const statement = Rules.find((r) => r.Name === name)?.Statement.RegexMatchStatement as
        | { RegexString: string }
        | undefined;
      return new RegExp(statement?.RegexString ?? '(?!)');
    };
    const over = regex('BodyTooLarge');
    for (const length of [MAX_BODY_BYTES - 1, MAX_BODY_BYTES, MAX_BODY_BYTES + 1, 10_485_760]) {
      const headers: Record<string, string> = {
        'content-length': String(length),
        'content-type': 'application/json',
      };
      expect(over.test(String(length))).toBe(frontDoorRefusal((n) => headers[n])?.rule === 'BodyTooLarge');
    }
  });
});
