import { z } from 'zod';
import { healthCheckSchema, readinessCheckSchema } from './checks';
import { IO_PROFILES } from './types';
import { parseDurationSeconds, parseSizeGiB } from './units';

/**
 * Structural schema of the YAML spec (snake_case, as written). Cross-field rules (phases naming
 * pods, dependency cycles, unique names) and constraint parsing live in parse.ts, plans.ts and
 * constraints.ts.
 */

/** DNS label: these names end up in volume names, task ids and NATS subject tokens. */
const DNS_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const dnsLabel = (what: string) =>
  z
    .string({ error: `expected a ${what} (a string)` })
    .max(63, { error: `${what} must be at most 63 characters` })
    .regex(DNS_LABEL, {
      error: `${what} must be lower-case letters, digits and '-', start with a letter and not end with '-'`,
    });

const positiveNumber = (what = 'a positive number') =>
  z.number({ error: `expected ${what}` }).positive({ error: `expected ${what}` });

const seconds = (fallback: number) =>
  z
    .unknown()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined) return fallback;
      const s = parseDurationSeconds(v);
      if (s === undefined || s <= 0) {
        ctx.issues.push({ code: 'custom', input: v, message: 'expected a positive number of seconds (or "90s", "20m", "1h")' });
        return z.NEVER;
      }
      return s;
    });

/**
 * Whole GiB: the size travels to Portworx as the pxd `size` driver option, which OpenStorage's
 * Docker plugin reads with pkg/units Parse, a bare number as GiB and only its integer part
 * ("0.5" creates a 0-byte volume). docs/service-spec.md, "Volumes".
 */
const size = z.unknown().transform((v, ctx) => {
  const gib = parseSizeGiB(v);
  if (gib === undefined || gib <= 0) {
    ctx.issues.push({ code: 'custom', input: v, message: 'expected a positive number of whole GiB, or a size with units such as "10Gi", "2048Mi", "1Ti"' });
    return z.NEVER;
  }
  if (!Number.isInteger(gib)) {
    ctx.issues.push({
      code: 'custom',
      input: v,
      message: `${JSON.stringify(v)} is ${gib} GiB: Portworx's Docker volume driver takes whole GiB only; use ${Math.ceil(gib)}Gi`,
    });
    return z.NEVER;
  }
  return gib;
});

/** A whole number of at least `min`; the message names the rule, the path names the field. */
const wholeNumber = (what: string, min: number) =>
  z
    .number({ error: `expected ${what} (a whole number, ${min} or more)` })
    .int({ error: `expected ${what} (a whole number, ${min} or more)` })
    .min(min, { error: `expected ${what} (a whole number, ${min} or more)` });

const maxUnavailable = wholeNumber('the number of pods of a type that may be down at once', 1);
/** What a replacement does when no replica holder keeps every hard constraint (docs/placement.md). */
const spreadPolicy = z.enum(['keep', 'break'], { error: "expected 'keep' (add a replica where the constraints hold, then move) or 'break' (move to the holder and say so)" });

const strategy = z.enum(['serial', 'parallel'], { error: "expected 'serial' or 'parallel'" });
const command = z.string({ error: 'expected a shell command (a string)' }).trim().min(1, { error: 'expected a non-empty shell command' });

const volumeSchema = z.strictObject({
  name: dnsLabel('volume name'),
  path: z
    .string({ error: 'expected a container path' })
    .min(1, { error: 'expected a container path' })
    .refine((p) => !p.split('/').includes('..'), { error: "a container path must not contain '..'" }),
  size,
  repl: z
    .number({ error: 'expected a replication factor 1, 2 or 3' })
    .int({ error: 'expected a replication factor 1, 2 or 3' })
    .min(1, { error: 'expected a replication factor 1, 2 or 3' })
    .max(3, { error: 'expected a replication factor 1, 2 or 3 (Portworx keeps at most 3 replicas)' }),
  // '' is "not set" too: what a package install option with no value renders.
  io_profile: z.union([z.enum(IO_PROFILES), z.literal('')], { error: `expected one of ${IO_PROFILES.join(', ')} (or '' for Portworx's choice)` }).optional(),
  priority: z.enum(['high', 'medium', 'low'], { error: "expected 'high', 'medium' or 'low'" }).default('medium'),
  shared: z.boolean({ error: 'expected true or false' }).default(false),
  fs: z.enum(['ext4', 'xfs'], { error: "expected 'ext4' or 'xfs'" }).default('ext4'),
  encryption_secret: z
    .string({ error: 'expected the name of a secret (never the key itself)' })
    .regex(/^([A-Za-z0-9][-A-Za-z0-9_./]*)?$/, { error: 'expected the name of a secret: letters, digits, - _ . / (or \'\' for none)' })
    .optional(),
});

const portSchema = z.strictObject({
  name: z.string({ error: 'expected a port name' }).regex(/^[a-z][a-z0-9_-]*$/, { error: "expected a port name: lower-case letters, digits, '_' and '-'" }),
  port: z
    .number({ error: 'expected a port number 1-65535' })
    .int({ error: 'expected a port number 1-65535' })
    .min(0, { error: 'expected a port number 1-65535' })
    .max(65535, { error: 'expected a port number 1-65535' })
    .optional(),
});

const envValue = z.union([z.string(), z.number(), z.boolean()], { error: 'expected a string, number or boolean' });

export const podSchema = z.strictObject({
  count: z.number({ error: 'expected a whole number of pods' }).int({ error: 'expected a whole number of pods' }).min(0, { error: 'expected a whole number of pods (0 or more)' }),
  cpus: positiveNumber(),
  mem: positiveNumber('a positive number (MiB)'),
  disk: z.number({ error: 'expected a number (MiB, 0 or more)' }).min(0, { error: 'expected a number (MiB, 0 or more)' }).default(0),
  ports: z.array(portSchema, { error: 'expected a list of {name, port?}' }).default([]),
  command,
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'expected an environment variable name' }), envValue).default({}),
  image: z.string({ error: 'expected a container image reference' }).min(1).optional(),
  /** Env variables a package install may set: name → what it means (the option's description). */
  tunables: z
    .record(z.string(), z.string({ error: 'expected a description of what the variable sets' }).min(1), {
      error: 'expected a map of env variable name to a description of what it sets',
    })
    .default({}),
  placement: z.unknown().optional(),
  volumes: z.array(volumeSchema, { error: 'expected a list of volumes' }).default([]),
  pre_snapshot: command.optional(),
  post_snapshot: command.optional(),
  snapshot_timeout: seconds(120),
  /** Overrides failure_policy.max_unavailable for this pod type. */
  max_unavailable: maxUnavailable.optional(),
  /** Overrides failure_policy.spread for this pod type. */
  spread: spreadPolicy.optional(),
  /** Mesos TaskInfo.health_check (checks.ts). */
  health_check: healthCheckSchema.optional(),
  /** Mesos TaskInfo.check: the pod is ready once it passes (checks.ts). */
  readiness_check: readinessCheckSchema.optional(),
});

const phaseSchema = z.strictObject({
  name: z.string({ error: 'expected a phase name' }).regex(/^[a-z0-9][-a-z0-9_]*$/, { error: "expected a phase name: lower-case letters, digits, '-' and '_'" }),
  pod: z.string({ error: 'expected the pod type this phase deploys' }),
  strategy: strategy.default('serial'),
  depends_on: z.array(z.string({ error: 'expected a phase name' }), { error: 'expected a list of phase names' }).default([]),
});

/**
 * Many Portworx nodes going offline at once is a storage control-plane outage, not host failures:
 * automatic replacement pauses (as Stork rate-limits evictions, libopenstorage/stork#1842). The
 * default share (more than 40%) lets one failure domain of three (a rack of 2 of 6 hosts) be
 * replaced, while half of the nodes at once pauses.
 */
const storageOutageSchema = z
  .strictObject({
    share: z
      .number({ error: 'expected a share of the Portworx nodes, above 0 and at most 1' })
      .gt(0, { error: 'expected a share of the Portworx nodes, above 0 and at most 1' })
      .max(1, { error: 'expected a share of the Portworx nodes, above 0 and at most 1 (1 never pauses)' })
      .default(0.4),
    min_nodes: wholeNumber('the number of offline Portworx nodes that may mean an outage', 1).default(2),
    window: seconds(60),
  })
  .prefault({});

/** `k:v,k2:v2` (the package option form) or a map: labels for the CNI network plugin. */
const networkLabels = z
  .union([z.record(z.string(), z.string()), z.string()], { error: 'expected a map of labels or "key:value,key:value"' })
  .transform((v, ctx) => {
    if (typeof v !== 'string') return v;
    const out: Record<string, string> = {};
    for (const pair of v.split(',').filter((p) => p.trim() !== '')) {
      const i = pair.indexOf(':');
      if (i <= 0) {
        ctx.issues.push({ code: 'custom', input: v, message: `'${pair}' is not key:value (labels are "key:value,key:value")` });
        return z.NEVER;
      }
      out[pair.slice(0, i).trim()] = pair.slice(i + 1).trim();
    }
    return out;
  });

/** A virtual (CNI) network every pod joins, e.g. DC/OS's overlay `dcos`; absent: the agent's host network. */
const networkSchema = z.strictObject({
  name: z.string({ error: 'expected the name of a virtual network such as dcos' }).regex(/^[A-Za-z0-9][-A-Za-z0-9_.]*$/, { error: 'expected the name of a virtual network such as dcos' }),
  labels: networkLabels.default({}),
  // Map every pod port to the same host port (taken from the offer); default: only on mesos-bridge (network.ts).
  host_ports: z.boolean({ error: 'expected true or false' }).optional(),
});

export const specSchema = z.strictObject({
  name: dnsLabel('service name'),
  network: networkSchema.optional(),
  pods: z
    .record(dnsLabel('pod type'), podSchema, { error: 'expected a map of pod type to pod spec' })
    .refine((p) => Object.keys(p).length > 0, { error: 'expected at least one pod type' }),
  plans: z
    .strictObject({
      deploy: z
        .strictObject({
          strategy: strategy.default('serial'),
          phases: z.array(phaseSchema, { error: 'expected a list of phases' }).min(1, { error: 'expected at least one phase' }),
        })
        .optional(),
    })
    // Any other key is a sidecar plan (repair, cleanup, …): src/sidecar/sidecar-spec.ts checks those.
    .catchall(z.unknown())
    .prefault({}),
  failure_policy: z
    .strictObject({
      // dcos-commons' default: a lost agent's pods are permanently failed after 20 minutes.
      permanent_failure_timeout: seconds(1200),
      // On by default: replacement waits for evidence over a probation window and is rate-limited.
      auto_replace: z.boolean({ error: 'expected true or false' }).default(true),
      // Stork's health monitor waits through a probation before it evicts (libopenstorage/stork#598).
      probation: seconds(10),
      max_concurrent_replacements: wholeNumber('the number of pods of a type replaced at once', 1).default(1),
      max_unavailable: maxUnavailable.default(1),
      storage_outage: storageOutageSchema,
      // Keep the failure-domain spread by default: a replacement never silently breaks a constraint.
      spread: spreadPolicy.default('keep'),
    })
    .prefault({}),
  convergence: z
    .strictObject({
      mode: z.enum(['soft', 'hard'], { error: "expected 'soft' or 'hard'" }).default('soft'),
      max_wait: seconds(60),
    })
    .prefault({}),
  volume_policy: z.enum(['delete', 'retain'], { error: "expected 'delete' or 'retain'" }).default('retain'),
});

export type RawSpec = z.output<typeof specSchema>;
export type RawPod = z.output<typeof podSchema>;
