import { Command, CommanderError } from 'commander';
import type { NatsConnection } from '@nats-io/nats-core';
import { binder, type CommandGroup, type SessionHolder } from '../../src/cli/command-kit';

/**
 * Run `pxfw <service> …` with only the given command groups (the global options as
 * service.command.ts declares them): tests a group before and apart from the full tree.
 */
export async function runGroups(
  nc: NatsConnection,
  service: string,
  groups: CommandGroup[],
  args: string[],
  env: NodeJS.ProcessEnv = { NATS_USER: 'alice' },
): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io = { nc, out: { write: (t: string) => (out += t) }, err: { write: (t: string) => (err += t) }, env, pollMs: 10 };
  const program = new Command('pxfw')
    .exitOverride()
    .option('--nats <url>')
    .option('--json')
    .option('--timeout <seconds>')
    .option('--yes')
    .option('--user <name>')
    .configureOutput({ writeOut: (t) => void (out += t), writeErr: (t) => void (err += t) });
  const state: SessionHolder = {};
  const on = binder(service, io, state);
  for (const g of groups) g(program, on);
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return { code: e.exitCode, out, err };
    throw e;
  }
  return { code: state.session?.exitCode ?? 0, out, err };
}
