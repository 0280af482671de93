import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { createServer as createNetServer } from 'node:net';

/** CPU time (user + system) a process has used, from /proc: clock ticks of 10 ms. */
export async function processCpuMs(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/**
 * dynalite in a process of its own on a free loopback port, in memory: DynamoDB is a service of
 * its own, so the benchmarks load it as they would load DynamoDB, not the runtime's event loop.
 */
export async function spawnDynalite(): Promise<{
  endpoint: string;
  cpuMs(): Promise<number>;
  close(): Promise<void>;
}> {
  const port = await new Promise<number>((resolve) => {
    const probe = createNetServer().listen(0, '127.0.0.1', () => {
      const { port: free } = probe.address() as AddressInfo;
      probe.close(() => resolve(free));
    });
  });
  const child = spawn(
    process.execPath,
    ['node_modules/dynalite/cli.js', '--port', String(port), '--host', '127.0.0.1', '--createTableMs', '0'],
    { stdio: 'ignore' },
  );
  const endpoint = `http://127.0.0.1:${port}`;
  const pid = child.pid as number;
  for (let i = 0; i < 100; i++) {
    try {
      await fetch(endpoint);
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    endpoint,
    cpuMs: () => processCpuMs(pid),
    close: async () => {
      child.kill();
    },
  };
}
