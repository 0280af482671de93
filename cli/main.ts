import { runDrift } from './drift.ts';
import { runEvidence } from './evidence.ts';
import { CliError } from './input.ts';
import { runIncidents, runModels, runReport } from './ops.ts';

/** A subcommand: its one-line summary and its runner, which returns the exit status. */
interface Command {
  summary: string;
  run(args: string[], out: (text: string) => void, err: (text: string) => void): number | Promise<number>;
}

const COMMANDS: Record<string, Command> = {
  drift: { summary: 'compare two data files (CSV or JSON Lines) for drift', run: runDrift },
  models: {
    summary: 'list the registered models (models list), who receives email (models delivery ID)',
    run: runModels,
  },
  incidents: {
    summary: 'list incidents or show one (incidents list | incidents show ID)',
    run: runIncidents,
  },
  report: { summary: "a model's KPI report over a period (report MODEL)", run: runReport },
  evidence: {
    summary:
      "save an incident's signed evidence bundle, or verify one offline (evidence export ID | evidence verify FILE)",
    run: runEvidence,
  },
};

/** The commands of `vigil`, each with its own `--help`. */
export const COMMAND_NAMES = Object.keys(COMMANDS);

function usage(): string {
  const names = Object.keys(COMMANDS);
  const width = Math.max(...names.map((n) => n.length));
  return `Usage: vigil <command> [options]

Commands:
${names.map((name) => `  ${name.padEnd(width)}  ${COMMANDS[name]?.summary}`).join('\n')}

Run "vigil <command> --help" (or "vigil help <command>") for a command's options.
`;
}

/**
 * Runs the CLI and returns the exit status. Never throws: usage and input errors, and anything
 * unexpected, become one line on standard error and status 2.
 */
export async function main(
  argv: string[],
  out: (text: string) => void = (text) => process.stdout.write(text),
  err: (text: string) => void = (text) => process.stderr.write(text),
): Promise<number> {
  const [first, ...rest] = argv;
  // "vigil help COMMAND" is "vigil COMMAND --help".
  const [name, ...args] =
    first === 'help' && rest[0] && Object.hasOwn(COMMANDS, rest[0]) ? [rest[0], '--help'] : argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? err : out)(usage());
    return name === undefined ? 2 : 0;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    err(`vigil: unknown command "${name}"\n${usage()}`);
    return 2;
  }
  try {
    return await command.run(args, out, err);
  } catch (error) {
    const message = error instanceof CliError ? error.message : `unexpected error: ${describe(error)}`;
    err(`vigil ${name}: ${message}\n`);
    return 2;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0] || error.name : String(error);
}
