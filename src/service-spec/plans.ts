import { ServiceSpecError, type SpecIssue } from './errors';
import type { DeployPlan, PhaseSpec } from './types';

/** The deploy plan when the spec gives none: one serial phase per pod type, in declaration order. */
export function defaultDeployPlan(podTypes: readonly string[]): DeployPlan {
  return {
    strategy: 'serial',
    phases: podTypes.map((pod) => ({ name: `${pod}-deploy`, pod, strategy: 'serial', dependsOn: [] })),
  };
}

/**
 * Check a deploy plan against the pod types: unique phase names, existing pods, every pod type
 * deployed exactly once, dependencies naming known phases and forming no cycle.
 */
export function validateDeployPlan(
  plan: DeployPlan,
  podTypes: readonly string[],
  path: string,
  issues: SpecIssue[],
): void {
  const known = new Set(podTypes);
  const names = new Map<string, number>();
  const deployedBy = new Map<string, string>();
  plan.phases.forEach((phase, i) => {
    const at = `${path}.phases[${i}]`;
    if (names.has(phase.name)) issues.push({ path: `${at}.name`, message: `duplicate phase name '${phase.name}'` });
    names.set(phase.name, i);
    if (!known.has(phase.pod)) {
      issues.push({ path: `${at}.pod`, message: `unknown pod type '${phase.pod}' (pods: ${podTypes.join(', ')})` });
    } else if (deployedBy.has(phase.pod)) {
      issues.push({ path: `${at}.pod`, message: `pod type '${phase.pod}' is already deployed by phase '${deployedBy.get(phase.pod)}'` });
    } else {
      deployedBy.set(phase.pod, phase.name);
    }
  });
  for (const pod of podTypes) {
    if (!deployedBy.has(pod)) issues.push({ path: `${path}.phases`, message: `no phase deploys pod type '${pod}'` });
  }
  plan.phases.forEach((phase, i) => {
    phase.dependsOn.forEach((dep, j) => {
      const at = `${path}.phases[${i}].depends_on[${j}]`;
      if (dep === phase.name) issues.push({ path: at, message: `phase '${phase.name}' cannot depend on itself` });
      else if (!names.has(dep)) issues.push({ path: at, message: `unknown phase '${dep}' (phases: ${[...names.keys()].join(', ')})` });
    });
  });
  const cycle = findCycle(plan.phases);
  if (cycle) issues.push({ path: `${path}.phases`, message: `dependency cycle: ${cycle.join(' -> ')}` });
}

/** A dependency cycle as phase names (first name repeated at the end), or undefined. */
export function findCycle(phases: readonly PhaseSpec[]): string[] | undefined {
  const deps = new Map(phases.map((p) => [p.name, p.dependsOn]));
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (name: string): string[] | undefined => {
    const s = state.get(name);
    if (s === 'done') return undefined;
    if (s === 'visiting') return [...stack.slice(stack.indexOf(name)), name];
    state.set(name, 'visiting');
    stack.push(name);
    for (const dep of deps.get(name) ?? []) {
      if (!deps.has(dep) || dep === name) continue; // reported separately
      const found = visit(dep);
      if (found) return found;
    }
    stack.pop();
    state.set(name, 'done');
    return undefined;
  };
  for (const p of phases) {
    const found = visit(p.name);
    if (found) return found;
  }
  return undefined;
}

/**
 * Phases in an order that honours `depends_on` (Kahn's algorithm, declaration order breaking
 * ties), so a serial plan never starts a phase before the phases it depends on.
 */
export function orderedPhases(plan: DeployPlan): PhaseSpec[] {
  const remaining = new Map(plan.phases.map((p) => [p.name, new Set(p.dependsOn)]));
  const out: PhaseSpec[] = [];
  while (out.length < plan.phases.length) {
    const next = plan.phases.find((p) => remaining.has(p.name) && remaining.get(p.name)!.size === 0);
    if (!next) {
      const cycle = findCycle(plan.phases) ?? [...remaining.keys()];
      throw new ServiceSpecError([{ path: 'plans.deploy.phases', message: `dependency cycle: ${cycle.join(' -> ')}` }]);
    }
    out.push(next);
    remaining.delete(next.name);
    for (const deps of remaining.values()) deps.delete(next.name);
  }
  return out;
}
