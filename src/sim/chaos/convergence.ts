import type { Truth, TruthTask } from './truth';

/**
 * The end state once every fault healed: for some count the operator may have asked for, pods
 * `<type>-0 … <type>-(count-1)` each run exactly one live task, no other pod runs a live task,
 * and each running pod's volumes are attached on its host only. Returns what is wrong (empty: ok).
 */
export function checkConverged(outside: Truth, sim: Truth, counts: number[], isLive: (t: TruthTask) => boolean, podType = 'node'): string[] {
  let best: string[] | undefined;
  for (const count of counts) {
    const problems: string[] = [];
    const live = outside.tasks.filter(isLive);
    const byPod = new Map<string, TruthTask[]>();
    for (const t of live) byPod.set(t.pod, [...(byPod.get(t.pod) ?? []), t]);
    for (let i = 0; i < count; i++) {
      const pod = `${podType}-${i}`;
      const ts = byPod.get(pod) ?? [];
      if (ts.length === 0) problems.push(`${pod}: no live task`);
      else if (ts.length > 1) problems.push(`${pod}: ${ts.length} live tasks (${ts.map((t) => `${t.taskId} ${t.state} on ${t.hostname}`).join(', ')})`);
      else if (ts[0]!.state !== 'TASK_RUNNING') problems.push(`${pod}: ${ts[0]!.taskId} is ${ts[0]!.state}`);
      else {
        const host = ts[0]!.hostname;
        for (const v of outside.volumes.filter((v) => v.name.startsWith(`${serviceOf(ts[0]!.taskId)}-${pod}-`))) {
          if (v.attachedOn.length === 0) problems.push(`${pod}: volume ${v.name} not attached (task on ${host})`);
          else if (!v.attachedOn.includes(host)) problems.push(`${pod}: volume ${v.name} attached on ${v.attachedOn.join(',')}, task on ${host}`);
        }
      }
    }
    for (const [pod, ts] of byPod) {
      const idx = Number(pod.slice(podType.length + 1));
      if (!pod.startsWith(`${podType}-`) || !(idx < count)) problems.push(`stray: ${ts.map((t) => `${t.taskId} ${t.state} on ${t.hostname}`).join(', ')} (pod ${pod} not wanted at count ${count})`);
    }
    // Tasks the master cannot see but an agent still runs (a partition that never healed).
    for (const t of sim.tasks) if (isLive(t) && !outside.tasks.some((o) => o.taskId === t.taskId)) problems.push(`hidden task ${t.taskId} ${t.state} on ${t.hostname}`);
    for (const v of sim.volumes) if (v.attachedOn.length > 1) problems.push(`${v.name} attached on ${v.attachedOn.join(' and ')}`);
    if (problems.length === 0) return [];
    if (!best || problems.length < best.length) best = problems.map((p) => `[count ${count}] ${p}`);
  }
  return best ?? [];
}

function serviceOf(taskId: string): string {
  return taskId.split('__')[0]!;
}
