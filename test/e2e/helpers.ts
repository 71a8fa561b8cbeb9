import { mkdtempSync, readFileSync } from 'node:fs';
import { waitForPod, type PodHandle } from '../../src/controller/pod-cell';
import type { MarathonSettings } from '../../src/marathon';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Sandbox } from '../../src/sandbox/sandbox';
import { SHARED_NATS_URL } from '../helpers/nats-server';

/** A shipped framework spec under a unique service name (tests share one NATS server). */
export function frameworkYaml(framework: string, overrides: (yaml: string) => string = (y) => y): { yaml: string; name: string } {
  const text = readFileSync(join(__dirname, '..', '..', 'deploy', 'frameworks', `${framework}.yml`), 'utf8');
  const name = `${framework.slice(0, 6)}-${randomUUID().slice(0, 6)}`;
  return { yaml: overrides(text.replace(/^name: .*$/m, `name: ${name}`)), name };
}

export async function startSandbox(yaml: string, opts: { agents?: number; racks?: number; speed?: number; record?: boolean; marathon?: MarathonSettings } = {}) {
  const record = opts.record === false ? undefined : mkdtempSync(join(tmpdir(), 'pxfw-e2e-'));
  const sandbox = await Sandbox.start({
    specYaml: yaml,
    agents: opts.agents ?? 6,
    racks: opts.racks ?? 3,
    speed: opts.speed ?? 10,
    nats: SHARED_NATS_URL,
    ...(record ? { record } : {}),
    ...(opts.marathon ? { marathon: opts.marathon } : {}),
  });
  return { sandbox, record };
}

export async function eventually<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
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
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Pod placement facts read back from the simulators (the ground truth, not the scheduler's view). */
export function placementFacts(sb: Sandbox) {
  const agents = new Map(sb.mesos.agents().map((a) => [a.hostname, a]));
  const running = sb.mesos.tasks().filter((t) => t.state === 'TASK_RUNNING');
  const volumes = sb.portworx.volumes().filter((v) => !v.parentId);
  return { agents, running, volumes };
}

/** The tags of a pod's current state, as the runtime reads them (never its state name). */
export function podTags(rt: { registry: { get(name: string): { actor: { getSnapshot(): { tags: Set<string> } } } | undefined } }, pod: string): string[] {
  return [...(rt.registry.get(pod)?.actor.getSnapshot().tags ?? [])].sort();
}

/**
 * Wait (waitForPod, no polling) until the pod's actor reaches a state with `tag`. The actor
 * the registry holds now: a pod actor replaced meanwhile (restore, reinstall) is not followed.
 */
export async function waitForPodTag(
  rt: { registry: { get(name: string): { actor: PodHandle } | undefined } },
  pod: string,
  tag: string,
  timeoutMs = 30_000,
): Promise<void> {
  const entry = await eventually(`${pod} exists`, () => rt.registry.get(pod), timeoutMs);
  await waitForPod(entry.actor, (s) => s.hasTag(tag), { timeout: timeoutMs });
}
