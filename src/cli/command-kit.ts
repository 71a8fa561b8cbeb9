import type { Command } from 'commander';
import { CliSession, type GlobalOptions, type ServiceCommandIo } from './cli-session';

/** One command's work: the session (connection, output, exit status), positional args, options. */
export type Action = (session: CliSession, args: (string | undefined)[], opts: Record<string, unknown>) => Promise<void>;

/** Wraps an Action into a commander action handler. */
export type Binder = (a: Action) => (...params: unknown[]) => Promise<void>;

/** Registers one command group (`plan`, `update`, `config`…) on `pxfw <service>`. */
export type CommandGroup = (root: Command, on: Binder) => void;

/** The session of the action that ran last (its exit status is the command's). */
export interface SessionHolder {
  session?: CliSession;
}

/** A Binder: each action gets a session built from the global options; any error is reported (stderr, --json on stdout). */
export function binder(service: string, io: ServiceCommandIo, state: SessionHolder): Binder {
  return (action) =>
    async (...params: unknown[]): Promise<void> => {
      const cmd = params[params.length - 1] as Command;
      const opts = cmd.optsWithGlobals<GlobalOptions & Record<string, unknown>>();
      const session = new CliSession(service, io, opts);
      state.session = session;
      const args = params.slice(0, -2) as (string | undefined)[];
      try {
        await action(session, args, opts);
      } catch (err) {
        session.report(err);
      } finally {
        await session.close();
      }
    };
}
