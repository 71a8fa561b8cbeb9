import type { StepEffect, WorkflowPlan, WorkflowStep } from '../../machines/workflow.types';
import { InvalidRequestError } from '../api/errors';

/**
 * Sidecar plans (dcos-commons' `plan start repair -p KEYSPACE=ks`): operator-started plans the spec
 * declares, each phase running one command in every pod of a pod type, serially or in parallel,
 * inside the pod's running task (as pre_snapshot commands run). Parameters reach the command as
 * shell variables.
 */

/** A sidecar plan as the spec declares it (`plans.<name>` other than deploy). */
export interface SidecarPlanSpec {
  name: string;
  strategy: 'serial' | 'parallel';
  /** What `-p KEY=VALUE` may set, with their defaults. */
  parameters: Record<string, string>;
  phases: { name: string; podType: string; strategy: 'serial' | 'parallel'; command: string; timeoutS: number }[];
}

/** The step effect that runs a command in a pod (src/sidecar/run-command-effect.ts). */
export const RUN_COMMAND = 'runCommand' satisfies StepEffect;

const PARAM_KEY = /^[A-Z_][A-Z0-9_]*$/;

/** The parameters a run uses: the spec's defaults with `-p` values over them; unknown keys refused. */
export function resolveParameters(spec: SidecarPlanSpec, given: Record<string, string>): Record<string, string> {
  const known = Object.keys(spec.parameters);
  for (const key of Object.keys(given)) {
    if (!PARAM_KEY.test(key)) throw new InvalidRequestError(`parameters.${key}: not a parameter name (letters, digits and _, e.g. KEYSPACE)`);
    if (!known.includes(key)) {
      throw new InvalidRequestError(`parameters.${key}: plan ${spec.name} takes ${known.length > 0 ? known.join(', ') : 'no parameters'}`);
    }
  }
  return { ...spec.parameters, ...given };
}

/** `'…'` quoting for sh: the value reaches the command exactly, whatever it holds. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The command line a step runs: the parameters exported, then the phase's command. */
export function commandLine(command: string, parameters: Record<string, string>): string {
  const exports = Object.entries(parameters).map(([k, v]) => `export ${k}=${shellQuote(v)}`);
  return [...exports, command].join('; ');
}

/** Step names as dcos-commons shows them: `node-0:[repair]`. */
export function sidecarStepName(pod: string, phase: string): string {
  return `${pod}:[${phase}]`;
}

/**
 * One run of a sidecar plan over the pods there are now (by pod type, by index). The plan's id says
 * when it started; its params record the parameters, so a resumed run uses the same ones.
 */
export function buildSidecarPlan(spec: SidecarPlanSpec, parameters: Record<string, string>, podsByType: Record<string, string[]>, now: Date): WorkflowPlan {
  const phases = spec.phases.map((ph) => ({
    name: ph.name,
    strategy: ph.strategy,
    steps: (podsByType[ph.podType] ?? []).map(
      (pod): WorkflowStep => ({
        name: sidecarStepName(pod, ph.name),
        effect: RUN_COMMAND,
        status: 'PENDING',
        params: { pod, command: commandLine(ph.command, parameters), timeoutMs: ph.timeoutS * 1000 },
      }),
    ),
  }));
  return {
    name: spec.name,
    id: `${spec.name}@${now.toISOString()}`,
    params: Object.fromEntries(Object.entries(parameters).map(([k, v]) => [`param.${k}`, v])),
    paused: false,
    error: null,
    phases,
  };
}
