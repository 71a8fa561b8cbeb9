import { Command, CommanderError } from 'commander';
import { CliUsageError, type CliSession, type ServiceCommandIo } from './cli-session';
import { cliErrorJson } from './cli-errors';
import { binder, type CommandGroup, type SessionHolder } from './command-kit';
import { assertServiceName } from '../api/subjects';
import { planCommands } from './plan.command';
import { podCommands, scaleCommand } from './pod.command';
import { snapshotCommands } from './snapshot.command';
import { lifecycleCommands, uninstallCommand } from './lifecycle.command';
import { configCommands, infoCommands } from './config.command';
import { updateCommands } from './update.command';

export type { ServiceCommandIo } from './cli-session';

/** Every command group of `pxfw <service>`, in the order `--help` lists them. */
function groups(env: NodeJS.ProcessEnv): CommandGroup[] {
  return [
    planCommands,
    (root, on) => updateCommands(root, on, env),
    podCommands,
    scaleCommand,
    snapshotCommands,
    uninstallCommand,
    lifecycleCommands,
    infoCommands,
    configCommands,
  ];
}

function build(program: Command, service: string, io: ServiceCommandIo, state: SessionHolder): void {
  program
    .name(`pxfw ${service}`)
    .description(`operate the pxfw service '${service}' over NATS`)
    .option('--nats <url>', 'NATS server URL (env NATS_URL; credentials from NATS_CREDS, NATS_USER/NATS_PASSWORD, NATS_TOKEN, NATS_NKEY, NATS_TLS_*)')
    .option('--json', 'print the raw JSON reply; a failure prints {"error": {code, message, …}}')
    .option('--timeout <seconds>', 'request timeout (default 30), or how long --watch/--wait follow a plan (default 600)')
    .option('--yes', 'confirm a destructive command')
    .option('--user <name>', 'who you are, for the audit log (default NATS_USER or the OS user)')
    .configureOutput({ writeOut: (t) => void io.out.write(t), writeErr: (t) => void io.err.write(t) });
  const on = binder(service, io, state);
  for (const group of groups(io.env ?? process.env)) group(program, on);
}

/** A usage error commander found (unknown option, missing argument): as JSON too when --json was given. */
export function usageErrorJson(err: CommanderError, argv: readonly string[], io: Pick<ServiceCommandIo, 'out'>): void {
  if (!argv.includes('--json') || err.exitCode === 0) return;
  const message = err.message.replace(/^error: /, '');
  io.out.write(`${JSON.stringify({ error: cliErrorJson(new CliUsageError(message)) }, null, 2)}\n`);
}

/** Attach `pxfw <service> …` to the program main() builds for a service name. */
export function registerService(program: Command, service: string): void {
  const state: SessionHolder = {};
  const io = { out: process.stdout, err: process.stderr };
  build(program, service, io, state);
  // Exit status of the last action; commander's own errors set it through CommanderError.
  program.hook('postAction', () => {
    if (state.session && state.session.exitCode !== 0) process.exitCode = state.session.exitCode;
  });
}

/**
 * Run `pxfw <service> …` and return the exit status. argv starts with the service name,
 * e.g. `['cassandra', 'pod', 'list', '--json']`.
 */
export async function runServiceCommand(argv: string[], io: ServiceCommandIo): Promise<number> {
  const [service, ...rest] = argv;
  try {
    assertServiceName(service ?? '');
  } catch (err) {
    io.err.write(`pxfw: ${(err as Error).message}\n`);
    if (rest.includes('--json')) io.out.write(`${JSON.stringify({ error: cliErrorJson(err) }, null, 2)}\n`);
    return 1;
  }
  const program = new Command('pxfw').exitOverride();
  const state: { session?: CliSession } = {};
  build(program, service ?? '', io, state);
  try {
    await program.parseAsync(rest, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      usageErrorJson(err, rest, io);
      return err.exitCode;
    }
    throw err;
  }
  return state.session?.exitCode ?? 0;
}
