import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { PrerequisiteError } from '../errors';

export interface ResolvedNats {
  url: string;
  /** Stops the nats-server we spawned (no-op for one we found running). */
  stop(): Promise<void>;
}

async function answers(url: string): Promise<boolean> {
  try {
    const nc = await connect({ servers: url, reconnect: false, timeout: 1000 });
    await nc.close();
    return true;
  } catch {
    return false;
  }
}

function findNatsServer(): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin'];
  return dirs.map((d) => join(d, 'nats-server')).find((p) => existsSync(p));
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * The sandbox's NATS (DESIGN.md): `--nats`/NATS_URL if given, else nats://127.0.0.1:4222 when it
 * answers, else a `nats-server -js` spawned on a free port with a temporary store.
 */
export async function resolveNats(explicit?: string): Promise<ResolvedNats> {
  if (explicit) return { url: explicit, stop: async () => {} };
  const local = 'nats://127.0.0.1:4222';
  if (await answers(local)) return { url: local, stop: async () => {} };
  const bin = findNatsServer();
  if (!bin) {
    throw new PrerequisiteError(
      "no NATS server answers on nats://127.0.0.1:4222 and nats-server is not installed: install it with 'apt-get install nats-server' or pass --nats URL",
      'nats-server',
    );
  }
  const port = await freePort();
  const store = mkdtempSync(join(tmpdir(), 'pxfw-sandbox-nats-'));
  const proc: ChildProcess = spawn(bin, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', store], { stdio: 'ignore' });
  const url = `nats://127.0.0.1:${port}`;
  for (let i = 0; i < 100 && !(await answers(url)); i++) await new Promise((r) => setTimeout(r, 100));
  return {
    url,
    stop: async () => {
      if (proc.exitCode === null) {
        await new Promise<void>((resolve) => {
          proc.once('exit', () => resolve());
          proc.kill('SIGTERM');
        });
      }
      rmSync(store, { recursive: true, force: true });
    },
  };
}
