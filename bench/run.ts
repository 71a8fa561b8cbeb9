/**
 * `npm run bench`: runs each benchmark in its own process (so one's garbage does not slow the
 * next) and prints one JSON object with every figure.
 */
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCHES = ['placement.bench.ts', 'recovery.bench.ts', 'sim-scale.bench.ts'];

const figures: Record<string, unknown> = {};
for (const file of BENCHES) {
  const out = execFileSync(process.execPath, ['--import', 'tsx', join(dirname(fileURLToPath(import.meta.url)), file)], {
    env: { ...process.env, PXFW_LOG_LEVEL: 'error' },
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 16 * 1024 * 1024,
  }).toString();
  const last = out.trim().split('\n').pop() ?? '{}';
  Object.assign(figures, JSON.parse(last));
}
process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
