import type { z } from 'zod';
import { formatTable } from './table';
import type {
  configListSchema,
  storedConfigSchema,
  configShowSchema,
  configUpdateResultSchema,
  endpointViewSchema,
  offerEvaluationSchema,
  planViewSchema,
  podInfoSchema,
  podViewSchema,
  scaleResultSchema,
  serviceStatusSchema,
  snapshotViewSchema,
} from '../api/views';

/** Human renderings of command replies (the CLI prints these unless --json). */

type Plan = z.output<typeof planViewSchema>;
type Pod = z.output<typeof podViewSchema>;

function stepCounts(plan: Plan): { complete: number; total: number } {
  const steps = plan.phases.flatMap((p) => p.steps);
  return { complete: steps.filter((s) => s.status === 'COMPLETE').length, total: steps.length };
}

/** The phases paused on their own (`plan pause PLAN --phase P`): `phase P`, `phases P, Q`, or null. */
function pausedPhases(plan: Plan): string | null {
  const names = plan.phases.filter((p) => p.paused === true).map((p) => p.name);
  return names.length === 0 ? null : `${names.length === 1 ? 'phase' : 'phases'} ${names.join(', ')}`;
}

/** One progress line, e.g. `deploy: 2/3 steps complete (node-2 STARTING)`; a pause ends it (`[paused]`, `[phase P paused]`). */
export function planProgressLine(plan: Plan): string {
  const { complete, total } = stepCounts(plan);
  const steps = plan.phases.flatMap((p) => p.steps);
  const active = steps.filter((s) => s.status !== 'COMPLETE' && s.status !== 'PENDING');
  const shown = active.length > 0 ? active : steps.filter((s) => s.status === 'PENDING').slice(0, 1);
  const detail = shown.map((s) => `${s.name} ${s.status}${s.message ? `: ${s.message}` : ''}`).join(', ');
  const phases = pausedPhases(plan);
  const paused = plan.paused ? ' [paused]' : phases ? ` [${phases} paused]` : '';
  const tail = plan.status === 'COMPLETE' || plan.status === 'ERROR' ? `, plan ${plan.status}` : detail ? ` (${detail})` : '';
  return `${plan.name}: ${complete}/${total} steps complete${tail}${paused}`;
}

/** The PAUSED column: `yes` (the plan), `phase P` / `phases P, Q` (only those phases), or `no`. */
function pausedCell(plan: Plan): string {
  return plan.paused ? 'yes' : (pausedPhases(plan) ?? 'no');
}

export function renderPlanList(plans: Plan[]): string {
  if (plans.length === 0) return 'no plans';
  return formatTable(
    ['PLAN', 'STATUS', 'PAUSED', 'PHASES', 'STEPS'],
    plans.map((p) => {
      const { complete, total } = stepCounts(p);
      return [p.name, p.status, pausedCell(p), p.phases.length, `${complete}/${total}`];
    }),
  );
}

export function renderPlan(plan: Plan): string {
  const head = `plan ${plan.name}: ${plan.status}${plan.paused ? ' (paused)' : ''}`;
  const rows = plan.phases.flatMap((ph) => ph.steps.map((s) => [`${ph.name} (${ph.strategy})`, ph.status, s.name, s.status, s.message]));
  const table = rows.length > 0 ? formatTable(['PHASE', 'PHASE STATUS', 'STEP', 'STATUS', 'MESSAGE'], rows) : 'no steps';
  const errs = plan.errors.map((e) => `error: ${e}`);
  return [head, table, ...errs].join('\n');
}

export function renderPodList(pods: Pod[]): string {
  if (pods.length === 0) return 'no pods';
  return formatTable(
    ['POD', 'TYPE', 'STATE', 'TASK STATE', 'HOST'],
    pods.map((p) => [p.name, p.podType, p.state, p.taskState, p.hostname]),
  );
}

export function renderPodStatus(pods: Pod[]): string {
  if (pods.length === 0) return 'no pods';
  return formatTable(
    ['POD', 'STATE', 'TASK', 'TASK STATE', 'AGENT', 'HOST', 'REASON'],
    pods.map((p) => [p.name, p.state, p.taskId, p.taskState, p.agentId, p.hostname, p.reason]),
  );
}

export function renderPodInfo(info: z.output<typeof podInfoSchema>): string {
  const fields = formatTable(
    ['FIELD', 'VALUE'],
    [
      ['pod', info.name],
      ['type', `${info.podType} #${info.index}`],
      ['state', info.state],
      ['reason', info.reason],
      ['task', info.taskId],
      ['task state', info.taskState],
      ['agent', info.agentId],
      ['host', info.hostname],
      ['history', `${info.history.length} transitions`],
    ],
  );
  const volumes =
    info.volumes.length > 0
      ? formatTable(
          ['VOLUME', 'ID', 'REPLICAS ON'],
          info.volumes.map((v) => [v.name, v.id, v.replicaHosts.join(',')]),
        )
      : 'no volumes';
  return [fields, '', volumes, '', 'spec:', JSON.stringify(info.spec, null, 2)].join('\n');
}

export function renderScale(result: z.output<typeof scaleResultSchema>): string {
  const lines = [result.message];
  if (result.plan) lines.push(planProgressLine(result.plan));
  return lines.join('\n');
}

export function renderSnapshot(s: z.output<typeof snapshotViewSchema>): string {
  const scope = s.podType ? `pod type ${s.podType}` : 'the whole service';
  const head = `snapshot ${s.name} (${s.id}) of ${scope} at ${s.createdAt}: ${s.volumes.length} volumes`;
  const warning = s.postCommandsError ? `\nwarning: the snapshot was taken but a post-snapshot command failed: ${s.postCommandsError}` : '';
  if (s.volumes.length === 0) return head + warning;
  return [head + warning, formatTable(['VOLUME', 'VOLUME ID', 'SNAPSHOT ID'], s.volumes.map((v) => [v.volumeName, v.volumeId, v.snapshotId]))].join('\n');
}

export function renderSnapshotList(list: z.output<typeof snapshotViewSchema>[]): string {
  if (list.length === 0) return 'no snapshots';
  return formatTable(
    ['ID', 'NAME', 'CREATED', 'POD TYPE', 'VOLUMES'],
    list.map((s) => [s.id, s.name, s.createdAt, s.podType ?? '(all)', s.volumes.length]),
  );
}

export function renderEndpoints(list: z.output<typeof endpointViewSchema>[]): string {
  if (list.length === 0) return 'no endpoints';
  return formatTable(['ENDPOINT', 'ADDRESSES'], list.map((e) => [e.name, e.addresses.join(',')]));
}

/** `endpoints NAME`: each running pod's address (agent:port; on a virtual network without port mapping its own name) and its DC/OS DNS name, one per line. */
export function renderEndpoint(e: z.output<typeof endpointViewSchema>): string {
  const head = `endpoint ${e.name}${e.podType ? ` (pod type ${e.podType}, port ${e.port ?? '?'})` : ''}`;
  if (e.addresses.length === 0) return `${head}: no running pod`;
  return [head, formatTable(['ADDRESS', 'DNS'], e.addresses.map((a, i) => [a, e.dns?.[i]]))].join('\n');
}

export function renderConfigList(list: z.output<typeof configListSchema>): string {
  const note = list.target === null ? '\n(no config update yet: the target is the spec the scheduler started with)' : '';
  return formatTable(['ID', 'STORED', 'TARGET'], list.configs.map((c) => [c.id, c.storedAt, c.target ? 'yes' : ''])) + note;
}

/** One stored configuration: its YAML headed by a comment with its id (the output stays a valid spec). */
export function renderStoredConfig(cfg: z.output<typeof storedConfigSchema>): string {
  return [`# configuration ${cfg.id}${cfg.target ? ' (the target)' : ''}${cfg.storedAt ? `, stored ${cfg.storedAt}` : ''}`, cfg.yaml.replace(/\n$/, '')].join('\n');
}

export function renderOffers(list: z.output<typeof offerEvaluationSchema>[]): string {
  if (list.length === 0) return 'no offer evaluations recorded yet';
  return list.map((e) => [`${e.pod} (evaluated ${e.evaluatedAt})`, ...e.lines.map((l) => `  ${l}`)].join('\n')).join('\n\n');
}

/** The spec as YAML, headed by YAML comments (the output stays a valid spec file). */
export function renderConfigShow(cfg: z.output<typeof configShowSchema>): string {
  const head: string[] = [];
  if (cfg.target) head.push(`# target configuration: ${cfg.target}${cfg.previous ? ` (rollback to ${cfg.previous})` : ''}`);
  for (const p of cfg.pods ?? []) head.push(`#   ${p.name}: ${p.configId ?? 'unknown'}${p.configId && p.configId !== cfg.target ? ' (not yet on the target)' : ''}`);
  return [...head, cfg.yaml.replace(/\n$/, '')].join('\n');
}

export function renderConfigUpdate(result: z.output<typeof configUpdateResultSchema>): string {
  const changed = result.changedPods.length > 0 ? `pods to update: ${result.changedPods.join(', ')}` : 'no pods change';
  return `${result.message}\n${changed}`;
}

/** `pxfw <service> status`: the one status line, then the uninstall steps done when there are any. */
export function renderServiceStatus(st: z.output<typeof serviceStatusSchema>): string {
  const lines = [st.message];
  if (st.uninstall && !st.uninstalled) lines.push(`uninstall steps done: ${st.uninstall.done.join(', ') || 'none yet'}`);
  return lines.join('\n');
}
