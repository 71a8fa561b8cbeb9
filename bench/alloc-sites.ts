/**
 * Where a deploy bench's scheduler allocated, garbage included:
 *   BENCH_DEPLOY_HEAP_PROFILE_S=60 BENCH_DEPLOY_KEEP=1 node --import tsx bench/deploy.bench.ts
 *   node --import tsx bench/alloc-sites.ts <work dir>/scheduler-<strategy>.heapprofile [rows, default 30]
 * Prints the functions that allocated most (self), then our own functions with what they and
 * their callees allocated (inclusive), in MB of sampled allocation.
 */
import { readFileSync } from 'node:fs';

interface HeapNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: HeapNode[];
}

const [file, rowsArg] = process.argv.slice(2);
if (!file) throw new Error('usage: alloc-sites.ts <profile.heapprofile> [rows]');
const rows = Number(rowsArg ?? 30);
const root = (JSON.parse(readFileSync(file, 'utf8')) as { head: HeapNode }).head;
const name = (n: HeapNode): string => `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.replace(/^.*\/(src|machines|node_modules)\//, '$1/')}:${n.callFrame.lineNumber + 1}`;

const self = new Map<string, number>();
const ours = new Map<string, number>();
let total = 0;
/** Walks the tree; returns the bytes allocated under `n`, counting each of our frames once per path. */
function walk(n: HeapNode, path: Set<string>): number {
  const k = name(n);
  self.set(k, (self.get(k) ?? 0) + n.selfSize);
  total += n.selfSize;
  const mine = /\/(src|machines)\//.test(n.callFrame.url) && !path.has(k);
  if (mine) path.add(k);
  let sum = n.selfSize;
  for (const c of n.children) sum += walk(c, path);
  if (mine) {
    path.delete(k);
    ours.set(k, (ours.get(k) ?? 0) + sum);
  }
  return sum;
}
walk(root, new Set());
const mb = (b: number): string => (b / 1e6).toFixed(1).padStart(8);
console.log(`${mb(total)} MB sampled in all`);
console.log('-- self');
for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, rows)) console.log(`${mb(v)} ${k}`);
console.log('-- ours, inclusive');
for (const [k, v] of [...ours].sort((a, b) => b[1] - a[1]).slice(0, rows)) console.log(`${mb(v)} ${k}`);
