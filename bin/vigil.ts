#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { StatefulStack } from '../lib/stateful-stack.ts';
import { StatelessStack } from '../lib/stateless-stack.ts';

/**
 * The Vigil CDK app: a stateful stack (tables, key, topics, secrets) and a stateless stack
 * (API and functions). cdk-nag's AwsSolutions pack checks every synth; an unacknowledged
 * finding fails it.
 */
export function buildApp(app = new App()): { app: App; data: StatefulStack; service: StatelessStack } {
  const region =
    (app.node.tryGetContext('vigil:region') as string | undefined) ?? process.env.CDK_DEFAULT_REGION;
  if (!region) {
    throw new Error(
      'Vigil needs a region: set AWS_REGION (or a profile with one) or pass -c vigil:region=REGION',
    );
  }
  const env = { account: process.env.CDK_DEFAULT_ACCOUNT, region };
  const data = new StatefulStack(app, 'VigilData', {
    env,
    description: 'Vigil data: tables, key, topics, secrets',
  });
  const service = new StatelessStack(app, 'VigilService', {
    env,
    data,
    description: 'Vigil service: API and functions',
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, data, service };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  buildApp();
}
