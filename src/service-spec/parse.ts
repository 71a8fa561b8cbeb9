import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { childLogger } from '../log/logger';
import { parseSidecarPlans } from '../sidecar/sidecar-spec';
import { buildHealthCheck, buildReadinessCheck } from './checks';
import { clusterRuleIssues } from './cluster-rules';
import { parseConstraints } from './constraints';
import { ServiceSpecError, SpecFileError, type SpecIssue } from './errors';
import { networkIssues, networkMapsPortsByDefault } from './network';
import { formatPath } from './path';
import { defaultDeployPlan, validateDeployPlan } from './plans';
import { specSchema, type RawPod, type RawSpec } from './schema';
import { specTemplateIssues } from './templates';
import type { DeployPlan, FailurePolicy, NetworkSpec, PodSpec, ServiceSpec, VolumeSpec } from './types';

const log = childLogger({ module: 'spec' });

export interface ParseSpecOptions {
  /**
   * Also apply the rules of a real DC/OS cluster (cluster-rules.ts: no absolute volume path
   * without an image). Off for the short specs the simulated cluster runs in tests.
   */
  clusterRules?: boolean;
}

/**
 * Read and validate a spec file, cluster rules included (a file is what an operator runs); every
 * problem is reported with the path of its field.
 */
export async function loadSpecFile(path: string): Promise<ServiceSpec> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new SpecFileError(path, { cause: err });
  }
  const spec = parseSpec(text, path, { clusterRules: true });
  log.info({ path, service: spec.name, podTypes: Object.keys(spec.pods) }, 'service spec loaded');
  return spec;
}

/** Parse YAML text into a validated ServiceSpec, or throw ServiceSpecError listing every issue. */
export function parseSpec(text: string, source?: string, options: ParseSpecOptions = {}): ServiceSpec {
  const lines = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, lineCounter: lines });
  if (doc.errors.length > 0) {
    const issues = doc.errors.map((e) => {
      const pos = lines.linePos(e.pos[0]);
      const where = pos ? ` at line ${pos.line}, column ${pos.col}` : '';
      return { path: '', message: `YAML syntax error${where}: ${e.message.split('\n')[0]}` };
    });
    throw new ServiceSpecError(issues, source);
  }
  const data: unknown = doc.toJS();
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new ServiceSpecError([{ path: '', message: 'expected a YAML mapping with name, pods, …' }], source);
  }
  const parsed = specSchema.safeParse(data, { reportInput: true });
  if (!parsed.success) throw new ServiceSpecError(zodIssues(parsed.error.issues), source);
  const issues: SpecIssue[] = [];
  const spec = build(parsed.data, issues);
  if (issues.length === 0) issues.push(...specTemplateIssues(spec));
  if (issues.length === 0 && options.clusterRules) issues.push(...clusterRuleIssues(spec));
  if (issues.length > 0) throw new ServiceSpecError(issues, source);
  return spec;
}

function build(raw: RawSpec, issues: SpecIssue[]): ServiceSpec {
  const pods: Record<string, PodSpec> = {};
  for (const [type, pod] of Object.entries(raw.pods)) pods[type] = buildPod(type, pod, issues);
  const podTypes = Object.keys(pods);
  let deploy: DeployPlan;
  if (raw.plans.deploy) {
    deploy = {
      strategy: raw.plans.deploy.strategy,
      phases: raw.plans.deploy.phases.map((p) => ({ name: p.name, pod: p.pod, strategy: p.strategy, dependsOn: p.depends_on })),
    };
    validateDeployPlan(deploy, podTypes, 'plans.deploy', issues);
  } else {
    deploy = defaultDeployPlan(podTypes);
  }
  const side = parseSidecarPlans(raw.plans, Object.keys(raw.pods));
  issues.push(...side.issues);
  return {
    name: raw.name,
    ...(raw.network ? { network: buildNetwork(raw.network, issues) } : {}),
    pods,
    plans: { deploy, sidecars: side.plans },
    failurePolicy: buildFailurePolicy(raw),
    convergence: { mode: raw.convergence.mode, maxWait: raw.convergence.max_wait },
    volumePolicy: raw.volume_policy,
  };
}

function buildNetwork(raw: NonNullable<RawSpec['network']>, issues: SpecIssue[]): NetworkSpec {
  issues.push(...networkIssues(raw));
  return { name: raw.name, labels: raw.labels, hostPorts: raw.host_ports ?? networkMapsPortsByDefault(raw.name) };
}

function buildFailurePolicy(raw: RawSpec): FailurePolicy {
  const fp = raw.failure_policy;
  const maxUnavailable: Record<string, number> = {};
  const spread: Record<string, 'keep' | 'break'> = {};
  for (const [type, pod] of Object.entries(raw.pods)) {
    maxUnavailable[type] = pod.max_unavailable ?? fp.max_unavailable;
    spread[type] = pod.spread ?? fp.spread;
  }
  return {
    permanentFailureTimeout: fp.permanent_failure_timeout,
    autoReplace: fp.auto_replace,
    probation: fp.probation,
    maxConcurrentReplacements: fp.max_concurrent_replacements,
    maxUnavailable,
    storageOutage: { share: fp.storage_outage.share, minNodes: fp.storage_outage.min_nodes, window: fp.storage_outage.window },
    spread,
  };
}

function buildPod(type: string, raw: RawPod, issues: SpecIssue[]): PodSpec {
  const at = `pods.${type}`;
  reportDuplicates(raw.ports.map((p) => p.name), `${at}.ports`, 'name', 'port name', issues);
  reportDuplicates(raw.volumes.map((v) => v.name), `${at}.volumes`, 'name', 'volume name', issues);
  reportDuplicates(raw.volumes.map((v) => v.path), `${at}.volumes`, 'path', 'mount path', issues);
  for (const name of Object.keys(raw.tunables)) {
    if (!(name in raw.env)) issues.push({ path: `${at}.tunables.${name}`, message: `'${name}' is not in ${at}.env: a tunable names an env variable with its default value` });
  }
  const pod: PodSpec = {
    type,
    count: raw.count,
    cpus: raw.cpus,
    mem: raw.mem,
    disk: raw.disk,
    ports: raw.ports.map((p) => (p.port ? { name: p.name, port: p.port } : { name: p.name })),
    command: raw.command,
    env: Object.fromEntries(Object.entries(raw.env).map(([k, v]) => [k, String(v)])),
    tunables: raw.tunables,
    placement: parseConstraints(raw.placement, `${at}.placement`, issues),
    volumes: raw.volumes.map((v): VolumeSpec => {
      const vol: VolumeSpec = { name: v.name, path: v.path, size: v.size, repl: v.repl as 1 | 2 | 3, priority: v.priority, shared: v.shared, fs: v.fs };
      if (v.io_profile) vol.ioProfile = v.io_profile;
      if (v.encryption_secret) vol.encryptionSecret = v.encryption_secret;
      return vol;
    }),
    snapshotTimeout: raw.snapshot_timeout,
  };
  if (raw.image) pod.image = raw.image;
  if (raw.pre_snapshot) pod.preSnapshot = raw.pre_snapshot;
  if (raw.post_snapshot) pod.postSnapshot = raw.post_snapshot;
  if (raw.health_check) pod.healthCheck = buildHealthCheck(raw.health_check, pod.ports, `${at}.health_check`, issues);
  if (raw.readiness_check) pod.readinessCheck = buildReadinessCheck(raw.readiness_check, pod.ports, `${at}.readiness_check`, issues);
  return pod;
}

function reportDuplicates(values: string[], path: string, field: string, what: string, issues: SpecIssue[]): void {
  const seen = new Set<string>();
  values.forEach((v, i) => {
    if (seen.has(v)) issues.push({ path: `${path}[${i}].${field}`, message: `duplicate ${what} '${v}'` });
    seen.add(v);
  });
}

function zodIssues(issues: readonly z.core.$ZodIssue[]): SpecIssue[] {
  const out: SpecIssue[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        out.push({ path: formatPath([...issue.path, key]), message: 'unknown field (check its spelling and indentation)' });
      }
    } else if (issue.code === 'invalid_key') {
      const inner = issue.issues[0]?.message ?? issue.message;
      out.push({ path: formatPath(issue.path), message: `invalid key: ${inner}` });
    } else if (issue.code === 'invalid_type' && issue.input === undefined) {
      out.push({ path: formatPath(issue.path), message: `required field is missing (${issue.message})` });
    } else {
      out.push({ path: formatPath(issue.path), message: issue.message });
    }
  }
  return out;
}
