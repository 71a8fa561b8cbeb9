/**
 * `npm run bench`: runs each benchmark in its own process (so one's garbage does not slow the
 * next) and prints one JSON object with every figure. Flags go to the recovery bench:
 *
 *   npm run bench -- [--crashes N] [--quick]
 *
 * BENCH_ONLY=recovery (a comma-separated list of bench names) runs only those.
 *
 * A signal to this process (Ctrl-C, SIGTERM) is passed on to the running bench, which stops its
 * sandbox and nats-server before exiting: no run leaves processes behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCHES: { file: string; args: string[] }[] = [
  { file: 'placement.bench.ts', args: [] },
  { file: 'recovery.bench.ts', args: process.argv.slice(2) },
  { file: 'sim-scale.bench.ts', args: [] },
];

const only = process.env.BENCH_ONLY?.split(',').map((n) => n.trim()).filter(Boolean);
const selected = only ? BENCHES.filter((b) => only.includes(b.file.replace(/\.bench\.ts$/, ''))) : BENCHES;
if (selected.length === 0) {
  process.stderr.write(`BENCH_ONLY matches no bench (benches: ${BENCHES.map((b) => b.file.replace(/\.bench\.ts$/, '')).join(', ')})\n`);
  process.exit(2);
}

let current: ChildProcess | undefined;
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => {
    if (current && current.exitCode === null) current.kill(sig);
    else process.exit(130);
  });
}

function runBench(file: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(dirname(fileURLToPath(import.meta.url)), file), ...args], {
      env: { ...process.env, PXFW_LOG_LEVEL: process.env.PXFW_LOG_LEVEL ?? 'error' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    current = child;
    const out: Buffer[] = [];
    child.stdout!.on('data', (c: Buffer) => out.push(c));
    child.once('error', reject);
    child.once('close', (code, signal) => {
      current = undefined;
      if (code === 0) resolve(Buffer.concat(out).toString('utf8'));
      else reject(new Error(`${file} ${signal ? `was stopped by ${signal}` : `exited with ${code}`}`));
    });
  });
}

const figures: Record<string, unknown> = {};
try {
  for (const { file, args } of selected) {
    const last = (await runBench(file, args)).trim().split('\n').pop() ?? '{}';
    Object.assign(figures, JSON.parse(last));
  }
} catch (err) {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
