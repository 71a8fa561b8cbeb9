import { UnknownConfigError, type ConfigListView, type StoredConfigView } from '../../src/api/config-views';
import { UnknownEndpointError } from '../../src/api/endpoint-views';
import type { EndpointView, PlanView, PodView, StepView } from '../../src/api/operations';

/** Pieces of FakeOperations (test/api/fake-operations.ts) that need none of its state. */

export const TS = '2026-01-01T00:00:00.000Z';

/** One endpoint, `node-native`, with the agent address and autoip DNS name of each running pod. */
export function fakeEndpoints(service: string, pods: PodView[], name?: string): EndpointView[] | EndpointView {
  const running = pods.filter((p) => p.hostname);
  const list: EndpointView[] = [
    {
      name: 'node-native',
      podType: 'node',
      port: 'native',
      addresses: running.map((p) => `${p.hostname}:9042`),
      dns: running.map((p) => `${p.name}.${service}.autoip.dcos.thisdcos.directory:9042`),
    },
  ];
  if (name === undefined) return list;
  const found = list.find((e) => e.name === name);
  if (!found) throw new UnknownEndpointError(`no endpoint '${name}' (endpoints: ${list.map((e) => e.name).join(', ')})`);
  return found;
}

/** The stored configurations (ids cfg1, cfg2…, the last the target); `initial` before any. */
export function fakeConfigList(configIds: Map<string, string>): ConfigListView {
  const ids = [...configIds.keys()];
  const target = ids.at(-1) ?? null;
  return { target, configs: (ids.length > 0 ? ids : ['initial']).map((id) => ({ id, storedAt: id === 'initial' ? null : TS, target: id === (target ?? 'initial') })) };
}

export function fakeConfigGet(configIds: Map<string, string>, id: string, runningYaml: () => string): StoredConfigView {
  // Before any config update the running spec is the one configuration (id `initial`), as in the scheduler.
  const yaml = id === 'initial' && configIds.size === 0 ? runningYaml() : configIds.get(id);
  if (yaml === undefined) throw new UnknownConfigError(`no configuration '${id}' (configurations: ${[...configIds.keys()].join(', ') || 'none stored'})`);
  const ids = [...configIds.keys()];
  return { id, yaml, storedAt: id === 'initial' ? null : TS, target: ids.length === 0 || ids.at(-1) === id };
}

export function plan(name: string, status: PlanView['status'], steps: StepView[]): PlanView {
  const p: PlanView = { name, status, paused: false, phases: [{ name, strategy: 'serial', status, steps }], errors: [] };
  refresh(p);
  return p;
}

/** Derive phase and plan status from the steps. */
export function refresh(p: PlanView): void {
  for (const ph of p.phases) ph.status = statusOf(ph.steps.map((s) => s.status));
  p.status = statusOf(p.phases.map((ph) => ph.status));
  if (p.phases.length === 0) p.status = 'COMPLETE';
}

function statusOf(states: string[]): PlanView['status'] {
  if (states.includes('ERROR')) return 'ERROR';
  if (states.every((s) => s === 'COMPLETE')) return 'COMPLETE';
  if (states.every((s) => s === 'PENDING')) return 'PENDING';
  return 'IN_PROGRESS';
}
