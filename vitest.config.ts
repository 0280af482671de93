import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Test files run in parallel, each in its own process. Unit and infra files keep every core
 * busy. Integration files also wait (on the local runtime's steps, the demo's scheduled
 * evaluations, child processes, Chromium), so they run one file more than there are cores.
 * Each project has its own group so that `vitest run` without `--project` runs them one after
 * the other, each with its own number of workers.
 */
const cores = availableParallelism();

/**
 * Files whose time is mostly waiting that no setting shortens: the demo's walk waits for its
 * minute-long scheduled evaluation windows. They start first, so the other files run meanwhile.
 */
const waitingFiles = ['test/integration/demo.test.ts'];

/** Vitest's order (failed first, then longest or largest first), with the waiting files ahead. */
class WaitingFilesFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const waits = (file: TestSpecification) => waitingFiles.some((name) => file.moduleId.endsWith(name));
    return [...sorted.filter(waits), ...sorted.filter((file) => !waits(file))];
  }
}

export default defineConfig({
  test: {
    environment: 'node',
    sequence: { sequencer: WaitingFilesFirst },
    env: {
      // Lambda runs Node.js 22; the SDK's notice about Node.js 20 on developer machines is noise.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'SILENT',
    },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          // A harness limit, not a figure: the golden-fixture files compute for seconds, and two
          // workers share two cores.
          testTimeout: 30_000,
          maxWorkers: cores,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          maxWorkers: cores + 1,
          sequence: { groupOrder: 1 },
        },
      },
      {
        extends: true,
        test: {
          name: 'infra',
          include: ['test/infra/**/*.test.ts'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
          maxWorkers: cores,
          // The files only build CDK apps, without changing globals: a worker runs several after
          // one another and loads aws-cdk-lib once.
          isolate: false,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
