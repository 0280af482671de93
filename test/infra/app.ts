import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App, type AppProps } from 'aws-cdk-lib';

const repoRoot = path.resolve(import.meta.dirname, '..', '..');

/** The context of cdk.json: the feature flags every `cdk synth` of the app runs with. */
export const cdkJsonContext = (
  JSON.parse(readFileSync(path.join(repoRoot, 'cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  }
).context;

/**
 * An App as `cdk synth` builds it (cdk.json's context, feature flags included) in eu-west-1,
 * with `context` on top.
 */
export function cdkApp(context: Record<string, unknown> = {}, props: Omit<AppProps, 'context'> = {}): App {
  return new App({ ...props, context: { ...cdkJsonContext, 'vigil:region': 'eu-west-1', ...context } });
}
