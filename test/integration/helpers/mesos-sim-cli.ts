import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../../bin/pxfw.mjs', import.meta.url));

/** A `pxfw sim mesos` child process on a free port; `stop()` sends SIGTERM and gives the exit code. */
export interface SimMesosCli {
  url: string;
  stop(): Promise<number | null>;
}

/**
 * Start `pxfw sim mesos --port 0 --json ARGS…` through the real bin and wait for the line that
 * names its URL. Logs are kept at error level so stdout carries that line only.
 */
export async function startSimMesosCli(args: string[], timeoutMs = 20_000): Promise<SimMesosCli> {
  const child = spawn(process.execPath, [BIN, 'sim', 'mesos', '--port', '0', '--json', ...args], {
    env: { ...process.env, PXFW_LOG_LEVEL: 'error' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  try {
    const url = await readUrl(child, exited, timeoutMs, () => stderr);
    return {
      url,
      stop: async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        return exited;
      },
    };
  } catch (err) {
    child.kill('SIGKILL');
    await exited;
    throw err;
  }
}

function readUrl(child: ChildProcess, exited: Promise<number | null>, timeoutMs: number, stderr: () => string): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`pxfw sim mesos did not print its URL in ${timeoutMs} ms; stderr: ${stderr()}`)), timeoutMs);
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString('utf8');
      for (const line of out.split('\n')) {
        const url = urlOf(line);
        if (url) {
          clearTimeout(timer);
          resolve(url);
          return;
        }
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`pxfw sim mesos exited with ${code} before printing its URL; stderr: ${stderr()}`));
    });
  });
}

function urlOf(line: string): string | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const parsed = JSON.parse(line) as { url?: unknown };
    return typeof parsed.url === 'string' ? parsed.url : undefined;
  } catch {
    return undefined; // a partial line: more output will complete it
  }
}
