import type { z } from 'zod';
import { planProgressLine } from './render';
import type { planViewSchema } from '../api/views';

type Plan = z.output<typeof planViewSchema>;

export type WatchOutcome = 'complete' | 'error' | 'timeout';

export interface WatchOptions {
  /** Give up after this long (the CLI's --timeout). */
  timeoutMs: number;
  pollMs?: number;
  /** Receives a progress line whenever it changes. */
  print: (line: string) => void;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface WatchResult {
  outcome: WatchOutcome;
  plan: Plan | null;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Poll a plan until it is COMPLETE or ERROR or the time runs out, printing one progress line
 * per change (e.g. `deploy: 2/3 steps complete (node-2 STARTING)`). Fetch errors propagate:
 * a scheduler that disappears mid-watch is the caller's decision, not a silent retry.
 */
export async function watchPlan(fetchPlan: () => Promise<Plan>, options: WatchOptions): Promise<WatchResult> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? defaultSleep;
  const pollMs = options.pollMs ?? 1000;
  const deadline = now() + options.timeoutMs;
  let last = '';
  let plan: Plan | null = null;
  for (;;) {
    plan = await fetchPlan();
    const line = planProgressLine(plan);
    if (line !== last) options.print(line);
    last = line;
    if (plan.status === 'COMPLETE') return { outcome: 'complete', plan };
    if (plan.status === 'ERROR') return { outcome: 'error', plan };
    const left = deadline - now();
    if (left <= 0) return { outcome: 'timeout', plan };
    await sleep(Math.min(pollMs, left));
  }
}
