import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, errors, type NatsConnection } from '@nats-io/transport-node';
import { findExecutable } from './prerequisites';

/** The shared NATS server of this machine (never stopped by tests). */
export const SHARED_NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * A private nats-server -js on a free port with its own store dir, for tests that stop,
 * restart or kill NATS. `restart()` keeps the port and the JetStream store.
 */
export class PrivateNatsServer {
  private proc: ChildProcess | undefined;
  readonly storeDir = mkdtempSync(join(tmpdir(), 'pxfw-nats-'));

  private constructor(
    readonly port: number,
    private readonly extraArgs: string[],
  ) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  static async start(extraArgs: string[] = []): Promise<PrivateNatsServer> {
    const srv = new PrivateNatsServer(await freePort(), extraArgs);
    await srv.launch();
    return srv;
  }

  async launch(): Promise<void> {
    const bin = findExecutable('nats-server');
    if (!bin) throw new Error("nats-server not found: install it with 'apt-get install nats-server'");
    this.proc = spawn(bin, ['-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.storeDir, ...this.extraArgs], {
      stdio: 'ignore',
    });
    await waitForNats(this.url);
  }

  async stop(): Promise<void> {
    const proc = this.proc;
    this.proc = undefined;
    if (!proc || proc.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill('SIGKILL');
    });
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.storeDir, { recursive: true, force: true });
  }
}

export async function waitForNats(url: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const nc: NatsConnection = await connect({ servers: url, reconnect: false, timeout: 500 });
      await nc.close();
      return;
    } catch (err) {
      // A server with authorization enabled refuses this anonymous probe: it is up.
      if (err instanceof errors.AuthorizationError) return;
      if (Date.now() > deadline) throw new Error(`NATS at ${url} did not come up`, { cause: err });
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
