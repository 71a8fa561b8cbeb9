import { serviceVariables, type PodSpec, type ServiceSpec, type VolumeSpec } from '../service-spec';

/**
 * What a new service spec changes, judged against the running one before anything is touched.
 * Pure: `config update` refuses the whole file when any change cannot be carried out, and
 * otherwise turns the rest into steps of the update plan (config-update-plan.ts).
 *
 * Fields are named by their path in the YAML (`pods.node.volumes[0].size`), as the spec
 * parser names them, so the operator finds the line to fix.
 */

/** A change `config update` cannot make: the YAML path and why. */
export interface RefusedChange {
  path: string;
  reason: string;
}

/** An online change of one volume of a pod type, applied to every pod of that type. */
export interface VolumeChange {
  podType: string;
  /** The volume's name in the spec (`data`), the same in both specs. */
  volume: string;
  /** GiB, when the volume grows. */
  grow?: { from: number; to: number };
  /** Replica count, when it changes. */
  repl?: { from: number; to: number };
  /** Portworx class of service / IO profile, when they change (VolumeSpecUpdate fields). */
  priority?: { from: string; to: string };
  ioProfile?: { from: string | undefined; to: string | undefined };
}

export interface ConfigDiff {
  refused: RefusedChange[];
  volumes: VolumeChange[];
  /** Pod types whose pods must restart to take the change (task-level fields changed). */
  restartTypes: string[];
  /** Human summary of the service-level fields that changed (no pod is touched for them). */
  serviceChanges: string[];
}

/** Pod fields that only reach a pod through a new task: changing them restarts its pods. */
const TASK_FIELDS = ['cpus', 'mem', 'disk', 'ports', 'command', 'env', 'image', 'placement', 'preSnapshot', 'postSnapshot', 'snapshotTimeout'] as const;
/** Pod fields handled apart: the key, the count (scale), the volumes (online volume steps). */
const NOT_TASK_FIELDS = new Set(['type', 'count', 'volumes']);
const YAML_NAME: Record<string, string> = { preSnapshot: 'pre_snapshot', postSnapshot: 'post_snapshot', snapshotTimeout: 'snapshot_timeout', ioProfile: 'io_profile', encryptionSecret: 'encryption_secret' };
const yamlName = (field: string) => YAML_NAME[field] ?? field;

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Compare `next` with `current`. `livePods(podType)` is how many pods of the type exist now
 * (running or not): a pod type with pods cannot be removed, its volumes cannot be renamed.
 */
export function diffSpecs(current: ServiceSpec, next: ServiceSpec, livePods: (podType: string) => number): ConfigDiff {
  const refused: RefusedChange[] = [];
  const volumes: VolumeChange[] = [];
  const restartTypes: string[] = [];
  for (const [type, cur] of Object.entries(current.pods)) {
    const nxt = next.pods[type];
    const pods = livePods(type);
    if (!nxt) {
      if (pods > 0 || cur.count > 0) {
        refused.push({ path: `pods.${type}`, reason: `pod type '${type}' has ${pods} pods and cannot be removed by config update; scale it to 0 first (pxfw ${current.name} scale ${type} 0 --yes)` });
      }
      continue;
    }
    if (nxt.count !== cur.count) {
      refused.push({ path: `pods.${type}.count`, reason: `config update does not scale (${cur.count} -> ${nxt.count}); use pxfw ${current.name} scale ${type} ${nxt.count} --yes, or keep count ${cur.count} in the file` });
    }
    diffVolumes(type, cur, nxt, refused, volumes);
    if (cur.volumes.length > 0) refused.push(...dataIdentityChanges(current.name, type, cur, nxt));
    // Any other pod field (those listed, and any added later) reaches a pod only through a new task.
    const fields = new Set([...TASK_FIELDS, ...Object.keys(cur), ...Object.keys(nxt)].filter((f) => !NOT_TASK_FIELDS.has(f)));
    if ([...fields].some((f) => !same(cur[f as keyof PodSpec], nxt[f as keyof PodSpec]))) restartTypes.push(type);
  }
  for (const type of Object.keys(next.pods)) {
    if (!current.pods[type]) {
      refused.push({ path: `pods.${type}`, reason: `adding pod type '${type}' is not supported by config update (the deploy plan is fixed at install); deploy it as a new service` });
    }
  }
  refused.push(...startupOnly(current, next));
  return { refused, volumes, restartTypes, serviceChanges: serviceChanges(current, next) };
}

/**
 * Service-level fields the scheduler reads once: when it starts (the probation, the storage-outage
 * pause, the deploy plan) or when a pod actor is created (its failure timeout, automatic
 * replacement, convergence). `config update` cannot apply them to what runs, so it refuses them
 * rather than accept and ignore them; they change with the spec the scheduler is started with.
 */
const STARTUP_ONLY: [path: string, read: (s: ServiceSpec) => unknown][] = [
  ['failure_policy.permanent_failure_timeout', (s) => s.failurePolicy.permanentFailureTimeout],
  ['failure_policy.auto_replace', (s) => s.failurePolicy.autoReplace],
  ['failure_policy.probation', (s) => s.failurePolicy.probation],
  ['failure_policy.storage_outage', (s) => s.failurePolicy.storageOutage],
  ['convergence', (s) => s.convergence],
  ['plans', (s) => s.plans],
];

function startupOnly(current: ServiceSpec, next: ServiceSpec): RefusedChange[] {
  return STARTUP_ONLY.filter(([, read]) => !same(read(current), read(next))).map(([path]) => ({
    path,
    reason: `read only when the scheduler starts (and by each pod when it is created), so config update cannot apply it; change it in the spec the scheduler is started with (the Marathon app's PXFW_SPEC_YAML / --spec file)`,
  }));
}

/**
 * Env variables that name the cluster the data on a pod's volumes was formatted for. Kafka (KRaft):
 * the apache/kafka image formats the log dir with `CLUSTER_ID` on first start (`kafka-storage.sh
 * format --ignore-formatted`), and a broker whose meta.properties holds another cluster.id refuses
 * to start (InconsistentClusterIdException): a new id would leave every broker down, its data kept.
 */
const DATA_IDENTITY_ENV = ['CLUSTER_ID'] as const;

/** The value a task gets: the per-service launch variables resolved (templates.ts renders them so). */
function launchedValue(service: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const vars: Readonly<Record<string, string>> = serviceVariables(service);
  return value.replace(/\{\{\s*([A-Z_]+)\s*\}\}/g, (whole, name: string) => vars[name] ?? whole);
}

/** A change of the cluster id the pods' volumes were formatted with (same value however written: no change). */
function dataIdentityChanges(service: string, type: string, cur: PodSpec, nxt: PodSpec): RefusedChange[] {
  const out: RefusedChange[] = [];
  for (const name of DATA_IDENTITY_ENV) {
    const before = launchedValue(service, cur.env[name]);
    const after = launchedValue(service, nxt.env[name]);
    if (before === after) continue;
    const shown = (v: string | undefined) => (v === undefined ? 'unset' : JSON.stringify(v));
    const fix =
      before === undefined
        ? `leave ${name} out of the file`
        : `keep ${name}: ${JSON.stringify(before)} in the file (installed from the pxfw-kafka package: set the option broker.cluster_id to ${JSON.stringify(before)})`;
    out.push({
      path: `pods.${type}.env.${name}`,
      reason: `${shown(before)} -> ${shown(after)}: the ${type} volumes hold data formatted with cluster id ${shown(before)}, and a Kafka broker refuses a log dir formatted with another id (it would not start); ${fix}`,
    });
  }
  return out;
}

function diffVolumes(type: string, cur: PodSpec, nxt: PodSpec, refused: RefusedChange[], out: VolumeChange[]): void {
  const base = `pods.${type}.volumes`;
  const n = Math.max(cur.volumes.length, nxt.volumes.length);
  for (let i = 0; i < n; i++) {
    const a = cur.volumes[i];
    const b = nxt.volumes[i];
    const at = `${base}[${i}]`;
    if (a && !b) {
      refused.push({ path: at, reason: `removing volume '${a.name}' would orphan its data on every ${type} pod; volumes of existing pods cannot be removed` });
      continue;
    }
    if (!a && b) {
      refused.push({ path: at, reason: `adding volume '${b.name}' to existing ${type} pods is not supported: their pods were created with ${cur.volumes.length} volume(s)` });
      continue;
    }
    if (!a || !b) continue;
    out.push(...diffVolume(type, at, a, b, refused));
  }
}

function diffVolume(type: string, at: string, a: VolumeSpec, b: VolumeSpec, refused: RefusedChange[]): VolumeChange[] {
  if (a.name !== b.name) {
    refused.push({ path: `${at}.name`, reason: `renaming volume '${a.name}' to '${b.name}' is not supported: the pods' data lives on the volumes named '${a.name}' (a new name means new, empty volumes)` });
    return [];
  }
  const fixed: [keyof VolumeSpec, string][] = [
    ['path', 'the mount path is fixed once pods run (the service finds its data there)'],
    ['shared', 'a volume cannot switch between shared and exclusive'],
    ['fs', 'the filesystem is fixed at creation (reformatting would erase the data)'],
    ['encryptionSecret', 'encryption is fixed at creation (Portworx cannot encrypt or decrypt a volume in place)'],
  ];
  for (const [field, why] of fixed) {
    if (!same(a[field], b[field])) {
      refused.push({ path: `${at}.${yamlName(field)}`, reason: `${JSON.stringify(a[field] ?? null)} -> ${JSON.stringify(b[field] ?? null)}: ${why}` });
    }
  }
  if (b.size < a.size) {
    refused.push({ path: `${at}.size`, reason: `shrinking volume '${a.name}' from ${a.size} GiB to ${b.size} GiB is not supported: Portworx volumes and their filesystems only grow` });
  }
  const change: VolumeChange = { podType: type, volume: a.name };
  if (b.size > a.size) change.grow = { from: a.size, to: b.size };
  if (b.repl !== a.repl) change.repl = { from: a.repl, to: b.repl };
  if (b.priority !== a.priority) change.priority = { from: a.priority, to: b.priority };
  if (b.ioProfile !== a.ioProfile) change.ioProfile = { from: a.ioProfile, to: b.ioProfile };
  return change.grow || change.repl || change.priority || change.ioProfile ? [change] : [];
}

function serviceChanges(current: ServiceSpec, next: ServiceSpec): string[] {
  const out: string[] = [];
  // What is read live: max_unavailable and max_concurrent_replacements (the governor and the
  // update plan read them per decision), volume_policy (read at each decommission).
  const fp = (s: ServiceSpec) => ({ ...s.failurePolicy, permanentFailureTimeout: 0, autoReplace: false, probation: 0, storageOutage: null });
  if (!same(fp(current), fp(next))) out.push('failure_policy');
  if (current.volumePolicy !== next.volumePolicy) out.push('volume_policy');
  return out;
}

/** One line per refused change, for the error the operator sees. */
export function describeRefusals(refused: RefusedChange[]): string {
  return refused.map((r) => `${r.path}: ${r.reason}`).join('; ');
}
