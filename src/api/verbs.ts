import { z } from 'zod';
import type { ServiceOperations } from './operations';
import { lifecycleOf } from './lifecycle';

/**
 * The command verbs: one request schema each (validated by the command service, published as
 * JSON schema in the endpoint metadata) and how each maps onto ServiceOperations.
 */

/** zod error text that tells a missing field apart from a wrong one. */
function expect(what: string): { error: (iss: { input?: unknown }) => string } {
  return { error: (iss) => (iss.input === undefined ? `is required (${what})` : `must be ${what}`) };
}

const name = (what: string) =>
  z
    .string(expect(`a string: ${what}`))
    .min(1, { error: `must not be empty (${what})` })
    .max(253, { error: `is too long (at most 253 characters)` });

const podName = name('the pod instance name, e.g. node-0');
const planName = name('the plan name, e.g. deploy');
const confirm = z.string(expect('a string: the service name, to confirm')).optional();

export const emptyRequestSchema = z.strictObject({});

export const planRequestSchema = z.strictObject({ plan: planName.default('deploy') });

export const planStepRequestSchema = z
  .strictObject({
    plan: planName,
    phase: name('the phase name').optional(),
    step: name('the step name, e.g. node-0').optional(),
    confirm,
  })
  .refine((r) => r.step === undefined || r.phase !== undefined, {
    error: 'is only allowed together with phase',
    path: ['step'],
  });

export const planPhaseRequestSchema = z.strictObject({
  plan: planName.default('deploy'),
  phase: name('the phase name, e.g. node-deploy').optional(),
});

export const planStartRequestSchema = z.strictObject({
  plan: name('the sidecar plan name, e.g. repair'),
  parameters: z
    .record(z.string().regex(/^[A-Z_][A-Z0-9_]*$/, { error: 'parameter names are letters, digits and _ (e.g. KEYSPACE)' }), z.string(expect('a string')), expect('an object of KEY: value strings'))
    .default({}),
});

export const sidecarPlanRequestSchema = z.strictObject({ plan: name('the sidecar plan name, e.g. repair') });

export const configGetRequestSchema = z.strictObject({ id: name('the configuration id, or a unique prefix of at least 4 digits') });

export const endpointsRequestSchema = z.strictObject({ name: name('the endpoint name, e.g. node-native').optional() });

export const optionalPodRequestSchema = z.strictObject({ pod: podName.optional() });
export const podRequestSchema = z.strictObject({ pod: podName });
export const destructivePodRequestSchema = z.strictObject({ pod: podName, confirm });

export const scaleRequestSchema = z.strictObject({
  podType: name('the pod type, e.g. node'),
  count: z
    .number(expect('a non-negative integer'))
    .int({ error: 'must be a non-negative integer' })
    .min(0, { error: 'must be a non-negative integer' })
    .max(10_000, { error: 'must be at most 10000' }),
  confirm,
});

export const snapshotCreateRequestSchema = z.strictObject({
  name: name('the snapshot name').optional(),
  podType: name('the pod type, e.g. node').optional(),
});

export const snapshotRestoreRequestSchema = z.strictObject({
  snapshot: name('the snapshot id or name'),
  confirm,
});

export const uninstallRequestSchema = z.strictObject({
  deleteVolumes: z.boolean(expect('true or false')).default(false),
  deleteSnapshots: z.boolean(expect('true or false')).default(false),
  confirm,
});

export const reinstallRequestSchema = z.strictObject({ confirm });

export const configUpdateRequestSchema = z.strictObject({
  yaml: z
    .string(expect('a string: the whole service spec as YAML'))
    .min(1, { error: 'must not be empty (the whole service spec as YAML)' }),
  confirm,
});

export const configRollbackRequestSchema = z.strictObject({ confirm });

export interface VerbDefinition<S extends z.ZodType = z.ZodType> {
  /** Subject suffix after `pxfw.<service>.`, e.g. `pod.replace`. */
  verb: string;
  summary: string;
  schema: S;
  /** Needs `"confirm": "<service>"`: it kills tasks, moves data, deletes or rewrites state. */
  destructive: boolean;
  /** Allowed to the viewer role (docs/access-control.md, deploy/nats/pxfw-auth.conf). */
  readOnly: boolean;
  run(ops: ServiceOperations, request: z.output<S>): Promise<unknown>;
}

function verb<S extends z.ZodType>(def: VerbDefinition<S>): VerbDefinition {
  return def as unknown as VerbDefinition;
}

export const VERBS: readonly VerbDefinition[] = [
  verb({ verb: 'plan.list', summary: 'list plans', schema: emptyRequestSchema, destructive: false, readOnly: true, run: (ops) => ops.planList() }),
  verb({ verb: 'plan.status', summary: 'show a plan', schema: planRequestSchema, destructive: false, readOnly: true, run: (ops, r) => ops.planStatus(r.plan) }),
  verb({ verb: 'plan.pause', summary: 'pause a plan or one of its phases', schema: planPhaseRequestSchema, destructive: false, readOnly: false, run: (ops, r) => ops.planPause(r.plan, r.phase) }),
  verb({ verb: 'plan.resume', summary: 'resume a plan or one of its phases', schema: planPhaseRequestSchema, destructive: false, readOnly: false, run: (ops, r) => ops.planResume(r.plan, r.phase) }),
  verb({
    verb: 'plan.start',
    summary: 'start a sidecar plan the spec declares, with parameters',
    schema: planStartRequestSchema,
    destructive: false,
    readOnly: false,
    run: (ops, r) => ops.planStart(r.plan, r.parameters),
  }),
  verb({ verb: 'plan.stop', summary: 'stop a sidecar plan', schema: sidecarPlanRequestSchema, destructive: false, readOnly: false, run: (ops, r) => ops.planStop(r.plan) }),
  verb({
    verb: 'plan.force-complete',
    summary: 'mark a plan, phase or step complete without doing it',
    schema: planStepRequestSchema,
    destructive: true,
    readOnly: false,
    run: (ops, r) => ops.planForceComplete(r.plan, r.phase, r.step),
  }),
  verb({
    verb: 'plan.restart',
    summary: 'restart a plan, phase or step from the beginning',
    schema: planStepRequestSchema,
    destructive: true,
    readOnly: false,
    run: (ops, r) => ops.planRestart(r.plan, r.phase, r.step),
  }),
  verb({ verb: 'pod.list', summary: 'list pods', schema: emptyRequestSchema, destructive: false, readOnly: true, run: (ops) => ops.podList() }),
  verb({ verb: 'pod.status', summary: 'show pod status', schema: optionalPodRequestSchema, destructive: false, readOnly: true, run: (ops, r) => ops.podStatus(r.pod) }),
  verb({ verb: 'pod.info', summary: 'show a pod in detail', schema: podRequestSchema, destructive: false, readOnly: true, run: (ops, r) => ops.podInfo(r.pod) }),
  verb({ verb: 'pod.restart', summary: 'restart a pod in place', schema: destructivePodRequestSchema, destructive: true, readOnly: false, run: (ops, r) => ops.podRestart(r.pod) }),
  verb({ verb: 'pod.replace', summary: 'move a pod to another agent', schema: destructivePodRequestSchema, destructive: true, readOnly: false, run: (ops, r) => ops.podReplace(r.pod) }),
  verb({ verb: 'scale', summary: 'set the count of a pod type', schema: scaleRequestSchema, destructive: true, readOnly: false, run: (ops, r) => ops.scale(r.podType, r.count) }),
  verb({
    verb: 'snapshot.create',
    summary: 'snapshot every volume in one consistency group',
    schema: snapshotCreateRequestSchema,
    destructive: false,
    readOnly: false,
    run: (ops, r) => ops.snapshotCreate({ ...(r.name ? { name: r.name } : {}), ...(r.podType ? { podType: r.podType } : {}) }),
  }),
  verb({ verb: 'snapshot.list', summary: 'list snapshots', schema: emptyRequestSchema, destructive: false, readOnly: true, run: (ops) => ops.snapshotList() }),
  verb({
    verb: 'snapshot.restore',
    summary: 'restore every volume from a snapshot',
    schema: snapshotRestoreRequestSchema,
    destructive: true,
    readOnly: false,
    run: (ops, r) => ops.snapshotRestore(r.snapshot),
  }),
  verb({
    verb: 'uninstall',
    summary: 'remove the service',
    schema: uninstallRequestSchema,
    destructive: true,
    readOnly: false,
    run: (ops, r) => ops.uninstall({ deleteVolumes: r.deleteVolumes, deleteSnapshots: r.deleteSnapshots }),
  }),
  verb({
    verb: 'reinstall',
    summary: 'deploy an uninstalled service again (removes its tombstone)',
    schema: reinstallRequestSchema,
    destructive: true,
    readOnly: false,
    run: (ops) => (ops.reinstall ? ops.reinstall() : lifecycleOf(ops.service).reinstall()),
  }),
  verb({
    verb: 'status',
    summary: 'what the service is: deploying, running, uninstalling or uninstalled',
    schema: emptyRequestSchema,
    destructive: false,
    readOnly: true,
    run: (ops) => (ops.status ? ops.status() : lifecycleOf(ops.service).status()),
  }),
  verb({ verb: 'endpoints', summary: 'list service endpoints, or show one', schema: endpointsRequestSchema, destructive: false, readOnly: true, run: (ops, r) => ops.endpoints(r.name) }),
  verb({ verb: 'debug.offers', summary: 'show recent offer evaluations', schema: optionalPodRequestSchema, destructive: false, readOnly: true, run: (ops, r) => ops.debugOffers(r.pod) }),
  verb({ verb: 'config.show', summary: 'show the service spec, the target configuration id and each pod\'s', schema: emptyRequestSchema, destructive: false, readOnly: true, run: (ops) => ops.configShow() }),
  verb({ verb: 'config.list', summary: 'list the stored configurations and the target', schema: emptyRequestSchema, destructive: false, readOnly: true, run: (ops) => ops.configList() }),
  verb({ verb: 'config.get', summary: 'show one stored configuration by id', schema: configGetRequestSchema, destructive: false, readOnly: true, run: (ops, r) => ops.configGet(r.id) }),
  verb({
    verb: 'config.update',
    summary: 'replace the service spec',
    schema: configUpdateRequestSchema,
    destructive: true,
    readOnly: false,
    run: (ops, r) => ops.configUpdate(r.yaml),
  }),
  verb({
    verb: 'config.rollback',
    summary: 'make the previous configuration the target again (pods roll back)',
    schema: configRollbackRequestSchema,
    destructive: true,
    readOnly: false,
    run: (ops) => ops.configRollback(),
  }),
];

const BY_NAME = new Map(VERBS.map((v) => [v.verb, v]));

export function findVerb(verb: string): VerbDefinition | undefined {
  return BY_NAME.get(verb);
}

/** Render zod issues as `field: message` lines a person can act on. */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((i) => {
      if (i.code === 'unrecognized_keys') return `${i.keys.join(', ')}: unknown field`;
      const path = i.path.map(String).join('.');
      return path ? `${path}: ${i.message}` : `request body: ${i.message.replace(/^Invalid input: /, '')}`;
    })
    .join('; ');
}

/** JSON schema of a verb's request, for the endpoint metadata and the docs. */
export function requestJsonSchema(def: VerbDefinition): Record<string, unknown> {
  return z.toJSONSchema(def.schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}
