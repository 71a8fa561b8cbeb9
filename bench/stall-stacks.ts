/**
 * What the scheduler ran during each event-loop gap over 50 ms of a deploy bench profile:
 *   BENCH_DEPLOY_PROFILE_S=90 BENCH_DEPLOY_KEEP=1 node --import tsx bench/deploy.bench.ts
 *   node --import tsx bench/stall-stacks.ts <work dir>/scheduler-<strategy>.cpuprofile [gaps to show, default 15]
 * The probe (bench/deploy-probe.ts) logs each gap with the main thread's own CPU and its wait in
 * the run queue, on the profile's clock; this prints, longest on-CPU first, the frames most
 * sampled inside each gap (self time, and inclusive time of our own code).
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

const [file, showArg] = process.argv.slice(2);
if (!file) throw new Error('usage: stall-stacks.ts <profile.cpuprofile> [gaps to show]');
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const gaps = JSON.parse(readFileSync(`${file}.gaps.json`, 'utf8')) as [number, number, number, number][];
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const name = (n: ProfileNode): string => `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.replace(/^.*\/(src|node_modules)\//, '$1/')}:${n.callFrame.lineNumber + 1}`;

// Sample times on the profile's clock (µs).
const times: number[] = [];
let t = profile.startTime;
for (const d of profile.timeDeltas) times.push((t += d));

const top = (m: Map<string, number>, n: number): string =>
  [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => `${(v / 1000).toFixed(0)} ms ${k}`)
    .join(' | ');

const show = Number(showArg ?? 15);
console.log(`${gaps.length} gaps over 50 ms while profiling; the ${Math.min(show, gaps.length)} longest on CPU:`);
for (const [start, end, onCpu, queued] of [...gaps].sort((a, b) => b[2] - a[2]).slice(0, show)) {
  const self = new Map<string, number>();
  const ours = new Map<string, number>();
  for (let i = 0; i < times.length; i++) {
    if (times[i]! < start || times[i]! > end) continue;
    const dt = profile.timeDeltas[i + 1] ?? 0;
    const leaf = byId.get(profile.samples[i]!)!;
    self.set(name(leaf), (self.get(name(leaf)) ?? 0) + dt);
    const seen = new Set<string>();
    for (let id: number | undefined = leaf.id; id !== undefined; id = parent.get(id)) {
      const node = byId.get(id)!;
      if (!node.callFrame.url.includes('/src/')) continue;
      const k = name(node);
      if (!seen.has(k)) ours.set(k, (ours.get(k) ?? 0) + dt);
      seen.add(k);
    }
  }
  console.log(`-- ${((end - start) / 1000).toFixed(0)} ms (on CPU ${onCpu}, run queue ${queued}) at +${((start - profile.startTime) / 1e6).toFixed(2)} s`);
  console.log(`   self: ${top(self, 6)}`);
  console.log(`   ours: ${top(ours, 8)}`);
}
