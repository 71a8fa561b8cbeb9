import { z } from 'zod';
import { parseDurationSeconds } from '../service-spec/units';
import type { SidecarPlanSpec } from './sidecar-plan';

/**
 * The spec side of sidecar plans: every key of `plans:` other than `deploy` (docs/operations.md,
 * "plan start / plan stop"). A pure parser src/service-spec can call from parseSpec (its schema
 * lets the extra keys through and reports the issues this returns under `plans.<name>`).
 */

/** Plans the scheduler runs itself: a sidecar plan may not take their names. */
export const RESERVED_PLAN_NAMES = ['deploy', 'update', 'recovery', 'decommission', 'restore', 'uninstall'] as const;

const DNS_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const label = (what: string) => z.string({ error: `expected a ${what} (a string)` }).regex(DNS_LABEL, { error: `${what} must be lower-case letters, digits and '-'` });
const strategy = z.enum(['serial', 'parallel'], { error: "expected 'serial' or 'parallel'" }).default('serial');
const timeout = z
  .unknown()
  .optional()
  .transform((v, ctx) => {
    if (v === undefined) return 600;
    const s = parseDurationSeconds(v);
    if (s === undefined || s <= 0) {
      ctx.issues.push({ code: 'custom', input: v, message: 'expected a positive number of seconds (or "90s", "20m", "1h")' });
      return z.NEVER;
    }
    return s;
  });

const phaseSchema = z.strictObject({
  name: label('phase name'),
  pod: label('pod type'),
  strategy,
  command: z.string({ error: 'expected the shell command each pod runs' }).trim().min(1, { error: 'expected the shell command each pod runs' }),
  timeout,
});

const sidecarSchema = z.strictObject({
  strategy,
  parameters: z
    .record(z.string().regex(/^[A-Z_][A-Z0-9_]*$/, { error: 'parameter names are upper-case letters, digits and _ (e.g. KEYSPACE)' }), z.coerce.string())
    .default({}),
  phases: z.array(phaseSchema, { error: 'expected a list of phases' }).min(1, { error: 'expected at least one phase' }),
});

export interface SidecarIssue {
  path: string;
  message: string;
}

/** Parse the sidecar plans of a raw `plans:` map; issues name `plans.<name>.<field>`. */
export function parseSidecarPlans(rawPlans: Record<string, unknown>, podTypes: readonly string[]): { plans: Record<string, SidecarPlanSpec>; issues: SidecarIssue[] } {
  const plans: Record<string, SidecarPlanSpec> = {};
  const issues: SidecarIssue[] = [];
  for (const [name, raw] of Object.entries(rawPlans)) {
    if (name === 'deploy') continue;
    const at = `plans.${name}`;
    if ((RESERVED_PLAN_NAMES as readonly string[]).includes(name) || !DNS_LABEL.test(name)) {
      issues.push({ path: at, message: `'${name}' cannot name a sidecar plan (reserved: ${RESERVED_PLAN_NAMES.join(', ')}; names are DNS labels)` });
      continue;
    }
    const parsed = sidecarSchema.safeParse(raw);
    if (!parsed.success) {
      for (const i of parsed.error.issues) issues.push({ path: [at, ...i.path.map(String)].join('.'), message: i.message });
      continue;
    }
    const phases = parsed.data.phases;
    phases.forEach((ph, i) => {
      if (!podTypes.includes(ph.pod)) issues.push({ path: `${at}.phases.${i}.pod`, message: `no pod type '${ph.pod}' (pod types: ${podTypes.join(', ')})` });
    });
    const dup = phases.map((p) => p.name).find((n, i, all) => all.indexOf(n) !== i);
    if (dup) issues.push({ path: `${at}.phases`, message: `phase '${dup}' appears twice` });
    plans[name] = {
      name,
      strategy: parsed.data.strategy,
      parameters: parsed.data.parameters,
      phases: phases.map((p) => ({ name: p.name, podType: p.pod, strategy: p.strategy, command: p.command, timeoutS: p.timeout })),
    };
  }
  return { plans: issues.length === 0 ? plans : {}, issues };
}
