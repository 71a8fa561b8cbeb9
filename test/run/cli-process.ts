import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

/** `bin/pxfw.mjs` of this tree; PXFW_TEST_BIN points the same tests at another tree (e.g. the code before a fix). */
export const BIN = process.env.PXFW_TEST_BIN ?? resolve(__dirname, '..', '..', 'bin', 'pxfw.mjs');

export interface Exited {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
  /** From spawn to exit. */
  ms: number;
  /** True when the test had to SIGKILL it. */
  killed: boolean;
}

/** A `pxfw …` child process whose output is collected; `exited` settles when it ends (SIGKILLed after `killAfterMs`). */
export class PxfwProcess {
  readonly child: ChildProcess;
  out = '';
  err = '';
  readonly exited: Promise<Exited>;
  private readonly started = Date.now();

  constructor(args: string[], opts: { env?: Record<string, string | undefined>; killAfterMs: number }) {
    this.child = spawn(process.execPath, [BIN, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PXFW_LOG_LEVEL: 'silent', ...opts.env },
    });
    this.child.stdout!.on('data', (d: Buffer) => (this.out += d.toString()));
    this.child.stderr!.on('data', (d: Buffer) => (this.err += d.toString()));
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      this.child.kill('SIGKILL');
    }, opts.killAfterMs);
    this.exited = new Promise((done) => {
      this.child.once('exit', (code, signal) => {
        clearTimeout(timer);
        done({ code, signal, out: this.out, err: this.err, ms: Date.now() - this.started, killed });
      });
    });
  }

  /** Resolves once stdout contains `text` (rejects if the process ends first or after `timeoutMs`). */
  async waitForOutput(text: string | RegExp, timeoutMs: number): Promise<void> {
    const end = Date.now() + timeoutMs;
    const has = () => (typeof text === 'string' ? this.out.includes(text) : text.test(this.out));
    while (!has()) {
      if (this.child.exitCode !== null || this.child.signalCode !== null) throw new Error(`pxfw exited before printing ${String(text)}: ${this.err}`);
      if (Date.now() > end) throw new Error(`pxfw did not print ${String(text)} within ${timeoutMs} ms: ${this.out}\n${this.err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }
}

export async function eventually<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
