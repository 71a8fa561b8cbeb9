import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { connect, errors } from '@nats-io/transport-node';
import { PrerequisiteError, PxfwError } from '../errors';
import { freePort } from '../http/ports';

export interface ResolvedNats {
  url: string;
  /** True when this sandbox started the server (nobody else's state can be on it). */
  own: boolean;
  /** Stops the nats-server we spawned and removes its store (no-op for one we were given). */
  stop(): Promise<void>;
}

/** The sandbox's own nats-server did not come up. */
export class NatsServerStartError extends PxfwError {
  readonly code = 'NATS_SERVER_START';
  readonly retryable = true;
}

async function answers(url: string): Promise<boolean> {
  try {
    const nc = await connect({ servers: url, reconnect: false, timeout: 1000 });
    await nc.close();
    return true;
  } catch (err) {
    // A server with authorization refuses an anonymous probe: it is up.
    return err instanceof errors.AuthorizationError;
  }
}

/** nats-server on PATH or in the sbin folders Debian installs daemons into. */
export function findNatsServer(): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin', '/sbin'];
  return dirs.filter(Boolean).map((d) => join(d, 'nats-server')).find((p) => existsSync(p));
}

/**
 * The sandbox's NATS. Given a URL (`--nats`/NATS_URL), that server, shared with others; otherwise
 * a `nats-server -js` of its own on a free port with a temporary store, so nothing it does can
 * reach another scheduler's state (issue 10: a sandbox on the shared 127.0.0.1:4222 wiped a running
 * scheduler's bucket). Without nats-server installed, a PrerequisiteError naming the package.
 */
export async function resolveNats(explicit?: string, find: () => string | undefined = findNatsServer): Promise<ResolvedNats> {
  if (explicit) return { url: explicit, own: false, stop: async () => {} };
  const bin = find();
  if (!bin) {
    throw new PrerequisiteError(
      "the sandbox runs its own NATS server and nats-server is not installed: install the Debian package with 'apt-get install nats-server', or pass --nats URL to use a server you run",
      'nats-server',
    );
  }
  const port = await freePort();
  const store = mkdtempSync(join(tmpdir(), 'pxfw-sandbox-nats-'));
  const proc: ChildProcess = spawn(bin, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', store], { stdio: 'ignore' });
  const url = `nats://127.0.0.1:${port}`;
  // However this process ends (process.exit after a second signal included), the server and its
  // store go with it: an orphaned nats-server would hold a port and a temp dir for good.
  const onExit = () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    rmSync(store, { recursive: true, force: true });
  };
  process.once('exit', onExit);
  const stop = async () => {
    process.off('exit', onExit);
    if (proc.exitCode === null && proc.signalCode === null) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
        proc.once('exit', () => {
          clearTimeout(t);
          resolve();
        });
        proc.kill('SIGTERM');
      });
    }
    rmSync(store, { recursive: true, force: true });
  };
  let spawnError: Error | undefined;
  proc.once('error', (err) => (spawnError = err));
  for (let i = 0; i < 100; i++) {
    if (await answers(url)) return { url, own: true, stop };
    if (spawnError || proc.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new NatsServerStartError(
    `the sandbox's nats-server (${bin}) did not answer on ${url}${spawnError ? `: ${spawnError.message}` : proc.exitCode !== null ? ` (exited with status ${proc.exitCode})` : ' within 10 s'}`,
  );
}
