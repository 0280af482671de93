import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { startRuntime } from './runtime.ts';

/**
 * `npm start`: runs Vigil locally on its embedded default, with no AWS account and no
 * configuration. Settings: PORT (3000), VIGIL_HOST (127.0.0.1), VIGIL_DATA_DIR (.vigil),
 * VIGIL_ADMIN_KEY (generated on first start and kept in the data dir), VIGIL_DEMO or --no-demo,
 * VIGIL_SCHEDULER_TICK_SECONDS (30; 0 turns the scheduled evaluations off),
 * VIGIL_CONFIRM_SUBSCRIPTIONS (auto: approvers' subscriptions are confirmed at once; manual: by
 * following the confirmation link in the outbox, as in AWS), and the demo's pace:
 * VIGIL_DEMO_SHIFT_SECONDS (30), VIGIL_DEMO_INTERVAL_MS (2000), VIGIL_DEMO_STABILISATION_SECONDS (20).
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      demo: { type: 'boolean' },
      'no-demo': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: false,
  });
  if (values.help) {
    console.log(
      'Usage: npm start [-- --no-demo]\n\nEnvironment: PORT, VIGIL_HOST, VIGIL_DATA_DIR, VIGIL_ADMIN_KEY, VIGIL_DEMO,\n  VIGIL_SCHEDULER_TICK_SECONDS, VIGIL_CONFIRM_SUBSCRIPTIONS, VIGIL_DEMO_SHIFT_SECONDS, VIGIL_DEMO_INTERVAL_MS,\n  VIGIL_DEMO_STABILISATION_SECONDS',
    );
    return;
  }
  const env = process.env;
  const port = Number(env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`PORT must be a port number, got "${env.PORT}"`);
  const tick = Number(env.VIGIL_SCHEDULER_TICK_SECONDS ?? 30);
  if (!Number.isFinite(tick) || tick < 0) {
    throw new Error(
      `VIGIL_SCHEDULER_TICK_SECONDS must be a number of seconds, got "${env.VIGIL_SCHEDULER_TICK_SECONDS}"`,
    );
  }
  const shiftSeconds = setting('VIGIL_DEMO_SHIFT_SECONDS', 'a number of seconds');
  const intervalMs = setting('VIGIL_DEMO_INTERVAL_MS', 'a number of milliseconds above 0');
  const stabilisationSeconds = setting('VIGIL_DEMO_STABILISATION_SECONDS', 'a whole number of seconds');
  if (intervalMs === 0) throw new Error('VIGIL_DEMO_INTERVAL_MS must be a number of milliseconds above 0');
  if (stabilisationSeconds !== undefined && !Number.isInteger(stabilisationSeconds))
    throw new Error('VIGIL_DEMO_STABILISATION_SECONDS must be a whole number of seconds');
  const confirm = env.VIGIL_CONFIRM_SUBSCRIPTIONS || 'auto';
  if (confirm !== 'auto' && confirm !== 'manual') {
    throw new Error(`VIGIL_CONFIRM_SUBSCRIPTIONS must be auto or manual, got "${confirm}"`);
  }
  const demo = values['no-demo']
    ? false
    : (values.demo ?? !/^(false|0|no|off)$/i.test(env.VIGIL_DEMO ?? 'true'));

  const runtime = await startRuntime({
    dataDir: path.resolve(env.VIGIL_DATA_DIR ?? '.vigil'),
    port,
    host: env.VIGIL_HOST ?? '127.0.0.1',
    demo,
    demoSettings: {
      ...(shiftSeconds !== undefined ? { shiftSeconds } : {}),
      ...(intervalMs !== undefined ? { intervalMs } : {}),
      ...(stabilisationSeconds !== undefined ? { stabilisationSeconds } : {}),
    },
    schedulerTickSeconds: tick,
    confirmSubscriptions: confirm,
    ...(env.VIGIL_ADMIN_KEY ? { adminKey: env.VIGIL_ADMIN_KEY } : {}),
  });

  console.log(
    [
      `Vigil is running at ${runtime.url}`,
      `  dashboard: ${runtime.url}/`,
      `  health:    ${runtime.url}/healthz`,
      `  admin key: ${runtime.adminKey}${runtime.adminKeyGenerated ? ' (new, kept in the data dir)' : ''}`,
      confirm === 'auto'
        ? "  approvers' email subscriptions are confirmed at once (VIGIL_CONFIRM_SUBSCRIPTIONS=manual: by their link, as in AWS)"
        : "  approvers' email subscriptions wait for their confirmation link in the outbox, as in AWS",
      'Press Ctrl+C to stop.',
    ].join('\n'),
  );

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping Vigil`);
    runtime.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('vigil: error while stopping', error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

/** A non-negative number from the environment, or undefined when it is not set. */
function setting(name: string, what: string): number | undefined {
  const text = process.env[name];
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be ${what}, got "${text}"`);
  return value;
}

main().catch((error: unknown) => {
  console.error(`vigil: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
