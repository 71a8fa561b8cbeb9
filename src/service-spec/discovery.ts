import type { ServiceSpec } from './types';

/**
 * How the tasks of a service find each other on DC/OS (docs/service-spec.md, "Discovery").
 *
 * Mesos-DNS gives every task a name `<task name>.<framework name>.mesos`, and DC/OS networking
 * the same under `autoip.dcos.thisdcos.directory` (the default autoip TLD of dcos-commons'
 * SchedulerConfig). The framework name is the service name and the task name is the pod instance
 * name (`node-0`), so both names are known before anything is launched, and stay the same when a
 * pod moves to another agent. dcos-commons hands its tasks `TASK_NAME`, `POD_INSTANCE_INDEX`,
 * `FRAMEWORK_NAME` and `FRAMEWORK_HOST`; pxfw does the same and adds the names of the siblings of
 * each pod type, which a spec needs for its cluster's own discovery (seeds, voters, quorums).
 */

/** The DC/OS autoip top-level domain (dcos-commons SchedulerConfig default of SERVICE_TLD). */
export const AUTOIP_TLD = 'autoip.dcos.thisdcos.directory';
/** The Mesos-DNS domain (its `domain` setting; `mesos` on DC/OS). */
export const MESOS_DNS_DOMAIN = 'mesos';

/** `<service>.autoip.dcos.thisdcos.directory`: what dcos-commons calls FRAMEWORK_HOST. */
export function frameworkHost(service: string): string {
  return `${service}.${AUTOIP_TLD}`;
}

/** `<task>.<service>.autoip.dcos.thisdcos.directory`, e.g. `node-0.cassandra.autoip.dcos.thisdcos.directory`. */
export function taskHost(service: string, taskName: string): string {
  return `${taskName}.${frameworkHost(service)}`;
}

/** `<task>.<service>.mesos`, the Mesos-DNS A record of the task (the agent's address). */
export function taskMesosHost(service: string, taskName: string): string {
  return `${taskName}.${service}.${MESOS_DNS_DOMAIN}`;
}

/** The key prefix of a pod type's sibling variables: `name-node` → `NAME_NODE`. */
export function podTypeKey(podType: string): string {
  return podType.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

/** The variables describing the task itself; also set in its environment (as dcos-commons does). */
export const TASK_VARIABLES = ['FRAMEWORK_NAME', 'FRAMEWORK_HOST', 'POD_TYPE', 'POD_INSTANCE_INDEX', 'TASK_NAME', 'TASK_HOST', 'TASK_MESOS_HOST'] as const;
/** Per pod type T: `T_COUNT`, `T_HOSTS`, `T_MESOS_HOSTS`, `T_NAMES` (comma-separated, by index). */
export const SIBLING_SCALARS = ['COUNT', 'HOSTS', 'MESOS_HOSTS', 'NAMES'] as const;
/** Per pod type T, the list section `{{#T_PODS}}…{{/T_PODS}}` has these fields per instance. */
export const SIBLING_FIELDS = ['INDEX', 'TASK_NAME', 'HOST', 'MESOS_HOST'] as const;
/** Booleans of each list item, for separators: `{{^LAST}},{{/LAST}}`. */
export const SIBLING_FLAGS = ['FIRST', 'LAST'] as const;

export interface Sibling {
  INDEX: string;
  TASK_NAME: string;
  HOST: string;
  MESOS_HOST: string;
  FIRST: boolean;
  LAST: boolean;
}

/** What the templates of one pod instance see: scalars by name, and `T_PODS` lists. */
export type DiscoveryView = Record<string, string | readonly Sibling[]>;

/** One pod type's siblings and the scalars built from them, as every template of the spec sees them. */
interface SiblingEntry {
  count: number;
  service: string;
  siblings: readonly Sibling[];
  scalars: Readonly<Record<string, string>>;
}

/**
 * Per spec object and pod type: every launch of a deploy builds the same view, and rebuilding the
 * siblings each time is O(count) per launch, O(count²) per deploy. Specs are not mutated after
 * parseSpec (a new config is a new object); the count and name are kept and checked anyway so a
 * caller mutating a spec in place still gets a fresh view.
 */
const siblingsCache = new WeakMap<ServiceSpec, Map<string, SiblingEntry>>();

function buildEntry(spec: ServiceSpec, podType: string, count: number): SiblingEntry {
  const siblings = Array.from({ length: count }, (_, i) => {
    const name = `${podType}-${i}`;
    return Object.freeze({ INDEX: String(i), TASK_NAME: name, HOST: taskHost(spec.name, name), MESOS_HOST: taskMesosHost(spec.name, name), FIRST: i === 0, LAST: i === count - 1 });
  });
  const key = podTypeKey(podType);
  const scalars = {
    [`${key}_COUNT`]: String(count),
    [`${key}_HOSTS`]: siblings.map((s) => s.HOST).join(','),
    [`${key}_MESOS_HOSTS`]: siblings.map((s) => s.MESOS_HOST).join(','),
    [`${key}_NAMES`]: siblings.map((s) => s.TASK_NAME).join(','),
  };
  return { count, service: spec.name, siblings: Object.freeze(siblings), scalars: Object.freeze(scalars) };
}

function siblingEntry(spec: ServiceSpec, podType: string): SiblingEntry {
  let byType = siblingsCache.get(spec);
  if (!byType) siblingsCache.set(spec, (byType = new Map()));
  const count = spec.pods[podType]?.count ?? 0;
  const cached = byType.get(podType);
  if (cached && cached.count === count && cached.service === spec.name) return cached;
  const entry = buildEntry(spec, podType, count);
  byType.set(podType, entry);
  return entry;
}

/** The siblings of a pod type at the spec's count (memoized: the same frozen array for the same spec). */
export function siblingsOf(spec: ServiceSpec, podType: string): readonly Sibling[] {
  return siblingEntry(spec, podType).siblings;
}

/** The variables of the task `<podType>-<index>` itself (its environment gets exactly these). */
export function taskVariables(spec: ServiceSpec, podType: string, index: number): Record<(typeof TASK_VARIABLES)[number], string> {
  const name = `${podType}-${index}`;
  return {
    FRAMEWORK_NAME: spec.name,
    FRAMEWORK_HOST: frameworkHost(spec.name),
    POD_TYPE: podType,
    POD_INSTANCE_INDEX: String(index),
    TASK_NAME: name,
    TASK_HOST: taskHost(spec.name, name),
    TASK_MESOS_HOST: taskMesosHost(spec.name, name),
  };
}

/**
 * Everything a template of pod instance `<podType>-<index>` may use: its own variables and, for
 * every pod type of the spec, its siblings at the spec's current count.
 */
export function discoveryView(spec: ServiceSpec, podType: string, index: number): DiscoveryView {
  return { ...siblingVariables(spec), ...taskVariables(spec, podType, index) };
}

/** Every pod type's sibling scalars and `T_PODS` list, merged once per spec object (and its counts). */
const siblingViews = new WeakMap<ServiceSpec, { name: string; counts: [string, number][]; view: Readonly<DiscoveryView> }>();

/** The cached view still matches the spec: same name, same pod types with the same counts (no string built per launch). */
function sameCounts(spec: ServiceSpec, cached: { name: string; counts: [string, number][] }): boolean {
  if (cached.name !== spec.name) return false;
  let types = 0;
  for (const type in spec.pods) {
    const [t, count] = cached.counts[types++] ?? [];
    if (t !== type || count !== (spec.pods[type]?.count ?? 0)) return false;
  }
  return types === cached.counts.length;
}

function siblingVariables(spec: ServiceSpec): Readonly<DiscoveryView> {
  const cached = siblingViews.get(spec);
  if (cached && sameCounts(spec, cached)) return cached.view;
  const view: DiscoveryView = {};
  const counts: [string, number][] = [];
  for (const type of Object.keys(spec.pods)) {
    const entry = siblingEntry(spec, type);
    counts.push([type, entry.count]);
    Object.assign(view, entry.scalars);
    // The cached array itself: templates only read it (frozen, so a writer fails loudly).
    view[`${podTypeKey(type)}_PODS`] = entry.siblings;
  }
  siblingViews.set(spec, { name: spec.name, counts, view: Object.freeze(view) });
  return view;
}

/** The names a template may use at the top level, and the list sections, for a spec's pod types. */
export function knownNames(podTypes: readonly string[]): { scalars: Set<string>; lists: Set<string> } {
  const scalars = new Set<string>(TASK_VARIABLES);
  const lists = new Set<string>();
  for (const type of podTypes) {
    const key = podTypeKey(type);
    for (const s of SIBLING_SCALARS) scalars.add(`${key}_${s}`);
    lists.add(`${key}_PODS`);
  }
  return { scalars, lists };
}
