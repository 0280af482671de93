import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { startRuntime } from './runtime.ts';

/**
 * `npm start`: runs Vigil locally on its embedded default, with no AWS account and no
 * configuration. Settings: PORT (3000), VIGIL_HOST (127.0.0.1), VIGIL_DATA_DIR (.vigil),
 * VIGIL_ADMIN_KEY (generated on first start and kept in the data dir), VIGIL_DEMO or --no-demo,
 * VIGIL_SCHEDULER_TICK_SECONDS (30; 0 turns the scheduled evaluations off).
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
      'Usage: npm start [-- --no-demo]\n\nEnvironment: PORT, VIGIL_HOST, VIGIL_DATA_DIR, VIGIL_ADMIN_KEY, VIGIL_DEMO',
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
  const demo = values['no-demo']
    ? false
    : (values.demo ?? !/^(false|0|no|off)$/i.test(env.VIGIL_DEMO ?? 'true'));

  const runtime = await startRuntime({
    dataDir: path.resolve(env.VIGIL_DATA_DIR ?? '.vigil'),
    port,
    host: env.VIGIL_HOST ?? '127.0.0.1',
    demo,
    schedulerTickSeconds: tick,
    ...(env.VIGIL_ADMIN_KEY ? { adminKey: env.VIGIL_ADMIN_KEY } : {}),
  });

  console.log(
    [
      `Vigil is running at ${runtime.url}`,
      `  dashboard: ${runtime.url}/`,
      `  health:    ${runtime.url}/healthz`,
      `  admin key: ${runtime.adminKey}${runtime.adminKeyGenerated ? ' (new, kept in the data dir)' : ''}`,
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

main().catch((error: unknown) => {
  console.error(`vigil: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
