import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FunctionId } from './functions.ts';

/**
 * The governance workflow, defined once for the CDK stack and the local runtime: the ASL file,
 * and which catalog function each `${Placeholder}` of it stands for. The stack substitutes the
 * deployed functions' ARNs; the local engine substitutes local ARNs and runs the same handlers.
 */
export const governanceDefinitionFile = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  'statemachines',
  'governance.asl.json',
);

/** `${Placeholder}` of a Lambda task in the definition to the catalog function it invokes. */
export const governanceFunctions = {
  ApprovalRequestFunctionArn: 'workflowApproval',
  StepsFunctionArn: 'workflowSteps',
  RecordsFunctionArn: 'workflowRecords',
  EvidenceFunctionArn: 'evidence',
} as const satisfies Record<string, FunctionId>;

/** `${Placeholder}` of the EventBridge bus that RetrainingRequested, ModelPromoted and ModelRolledBack go to. */
export const governanceEventBusPlaceholder = 'EventBusName';

/** The `source` of every event the workflow puts on the bus. */
export const governanceEventSource = 'vigil.governance';

/**
 * The baseline review (SOP Appendix A): its own state machine, run for incidents of kind
 * `baseline_review`, with the same task functions as the governance workflow and no events.
 */
export const baselineReviewDefinitionFile = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  'statemachines',
  'baseline-review.asl.json',
);

/** `${Placeholder}` of a Lambda task in the baseline review definition to the catalog function it invokes. */
export const baselineReviewFunctions = {
  ApprovalRequestFunctionArn: 'workflowApproval',
  StepsFunctionArn: 'workflowSteps',
  RecordsFunctionArn: 'workflowRecords',
  EvidenceFunctionArn: 'evidence',
} as const satisfies Record<string, FunctionId>;

/** Replaces every `${Name}` of the definition text; a placeholder without a value is an error. */
export function substituteDefinition(text: string, values: Record<string, string>): string {
  return text.replace(/\$\{(\w+)\}/g, (_match, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`No value for \${${name}} in the definition`);
    return value;
  });
}
