import { type ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';

export const repoRoot = path.resolve(import.meta.dirname, '..', '..');

export interface RunningRuntime {
  readonly child: ChildProcess;
  readonly url: string;
  /** Everything the process printed so far. */
  output(): string;
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts the local runtime the way `npm start` does (tsx local/main.ts) in a child process
 * and resolves once it prints its URL.
 */
export async function spawnRuntime(
  env: Record<string, string>,
  args: string[] = ['--no-demo'],
  // Generous: with test files in parallel, several processes start at once on a busy machine.
  timeoutMs = 60_000,
): Promise<RunningRuntime> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/main.ts', ...args], {
    cwd: repoRoot,
    env: { ...process.env, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      // Never left behind: it would hold its data dir (and its port) for the next test.
      child.kill('SIGKILL');
      reject(new Error(`runtime did not start in ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const check = () => {
      const match = /Vigil is running at (http:\/\/\S+)[\s\S]*Press Ctrl\+C to stop\./.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on('data', check);
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`runtime exited with ${code} before starting:\n${output}`));
    });
  });

  return {
    child,
    url,
    output: () => output,
    stop: async (signal: NodeJS.Signals = 'SIGINT') => {
      child.kill(signal);
      return exited;
    },
  };
}
