import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { PxfwError } from '../../errors';
import { parseJson } from '../../util/lossless-json';
import { SimAgentNotFoundError, SimInvalidTransitionError, SimTaskNotFoundError } from './errors';
import { readBody, sendJson } from './http-util';
import { describeIssues } from './schemas';
import { podCheckRules, type CheckMode, type CheckWhich } from './task-checks';

/** What the control endpoint needs from the simulator (MesosSimulator implements it). */
export interface SimControl {
  crashAgent(agent: string): unknown;
  restartAgent(agent: string, opts?: { newId?: boolean; loseExecutors?: boolean }): unknown;
  killAgent(agent: string): unknown;
  partitionAgent(agent: string): unknown;
  healAgent(agent: string): unknown;
  markAgentGone(agent: string): unknown;
  failTask(taskId: string, state?: string, reason?: string, message?: string): unknown;
  setTaskCheck(taskId: string, which: 'readiness' | 'health', mode: 'pass' | 'fail' | 'hang'): unknown;
  failover(opts?: { reregisterWindowSeconds?: number }): void;
  allocate(): void;
  agents(): unknown;
  tasks(): unknown;
  volumeMounts(): unknown;
  state(): unknown;
  commands(): unknown;
  setCommandBehaviour(match: string, behaviour: { exitCode?: number; hang?: boolean }): unknown;
}

const failBody = z
  .object({
    state: z.string().regex(/^TASK_[A-Z_]+$/, 'must be a TaskState name such as TASK_FAILED').optional(),
    reason: z.string().regex(/^REASON_[A-Z_]+$/, 'must be a TaskStatus.Reason name such as REASON_CONTAINER_LIMITATION').optional(),
    message: z.string().optional(),
  })
  .strict();

const behaviourBody = z
  .object({
    match: z.string().min(1, 'must name a part of the command, e.g. "nodetool flush"'),
    exitCode: z.number().int().min(0).max(255).optional(),
    hang: z.boolean().optional(),
  })
  .strict()
  .refine((b) => !(b.hang === true && b.exitCode !== undefined), { message: 'set either exitCode or hang, not both', path: ['hang'] });

const restartBody = z.object({ new_id: z.boolean().optional(), lose_executors: z.boolean().optional() }).strict();
const failoverBody = z.object({ reregister_window_seconds: z.number().nonnegative().optional() }).strict();

const AGENT_ACTIONS = new Set(['crash', 'restart', 'partition', 'heal', 'gone', 'kill']);

/** `POST /sim/v1/tasks/{id}/{action}`: which check it sets, and to fail or to pass. */
const CHECK_ACTIONS: Record<string, { which: 'readiness' | 'health'; failing: boolean }> = {
  unready: { which: 'readiness', failing: true },
  ready: { which: 'readiness', failing: false },
  unhealthy: { which: 'health', failing: true },
  healthy: { which: 'health', failing: false },
};
const checkBody = z.object({ hang: z.boolean().optional() }).strict();

async function readJsonBody<T>(req: IncomingMessage, schema: z.ZodType<T>, what: string): Promise<T> {
  const text = await readBody(req);
  const parsed = schema.safeParse(text.trim() === '' ? {} : parseJson(text));
  if (!parsed.success) throw new ControlBodyError(`invalid ${what} body: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

/**
 * `/sim/v1/…`: fault injection and inspection for tests, demos, `pxfw sim agent` and `pxfw sim task`.
 * JSON in and out; errors are `{"error": {"code", "message"}}` with 400/404/405/409.
 */
export async function handleControl(sim: SimControl, req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  const parts = path.split('/').filter(Boolean).slice(2).map(decodeURIComponent);
  const method = req.method ?? 'GET';
  try {
    const result = await route(sim, method, parts, req);
    if (result === undefined) {
      return sendJson(res, 404, { error: { code: 'NOT_FOUND', message: `no control route ${method} ${path}` } });
    }
    sendJson(res, 200, result);
  } catch (err) {
    const status = statusOf(err);
    const code = err instanceof PxfwError ? err.code : 'INTERNAL';
    sendJson(res, status, { error: { code, message: err instanceof Error ? err.message : String(err) } });
  }
}

async function route(sim: SimControl, method: string, parts: string[], req: IncomingMessage): Promise<unknown> {
  const [head, id, action] = parts;
  if (method === 'GET' && parts.length === 1) {
    if (head === 'state') return sim.state();
    if (head === 'agents') return { agents: sim.agents() };
    if (head === 'tasks') return { tasks: sim.tasks() };
    if (head === 'volume-mounts') return { volume_mounts: sim.volumeMounts() };
    if (head === 'commands') return { commands: sim.commands() };
  }
  if (method !== 'POST') return undefined;
  if (head === 'failover' && parts.length === 1) {
    const body = await readJsonBody(req, failoverBody, 'failover');
    sim.failover(body.reregister_window_seconds !== undefined ? { reregisterWindowSeconds: body.reregister_window_seconds } : {});
    return { ok: true };
  }
  if (head === 'allocate' && parts.length === 1) {
    sim.allocate();
    return { ok: true };
  }
  if (head === 'agents' && id !== undefined && action !== undefined && parts.length === 3 && AGENT_ACTIONS.has(action)) {
    switch (action) {
      case 'crash':
        return { agent: sim.crashAgent(id) };
      case 'restart': {
        const body = await readJsonBody(req, restartBody, 'restart');
        return { agent: sim.restartAgent(id, { newId: body.new_id === true, loseExecutors: body.lose_executors === true }) };
      }
      case 'partition':
        return { agent: sim.partitionAgent(id) };
      case 'heal':
        return { agent: sim.healAgent(id) };
      case 'gone':
        return { agent: sim.markAgentGone(id) };
      default:
        return { agent: sim.killAgent(id) };
    }
  }
  if (head === 'commands' && id === 'behaviour' && parts.length === 2) {
    const text = await readBody(req);
    const parsed = behaviourBody.safeParse(text.trim() === '' ? {} : parseJson(text));
    if (!parsed.success) throw new ControlBodyError(`invalid command behaviour body: ${describeIssues(parsed.error)}`);
    const { match, ...behaviour } = parsed.data;
    return { behaviours: sim.setCommandBehaviour(match, behaviour) };
  }
  const checkAction = action !== undefined && Object.hasOwn(CHECK_ACTIONS, action) ? CHECK_ACTIONS[action] : undefined;
  if (head === 'tasks' && id !== undefined && checkAction && parts.length === 3) {
    const body = await readJsonBody(req, checkBody, `${action} request`);
    const mode = !checkAction.failing ? 'pass' : body.hang === true ? 'hang' : 'fail';
    return { task: sim.setTaskCheck(id, checkAction.which, mode) };
  }
  if (head === 'pods' && id !== undefined && checkAction && parts.length === 3) {
    const body = await readJsonBody(req, checkBody, `${action} request`);
    const mode = !checkAction.failing ? 'pass' : body.hang === true ? 'hang' : 'fail';
    return setPodCheck(sim, id, checkAction.which, mode);
  }
  if (head === 'tasks' && id !== undefined && action === 'fail' && parts.length === 3) {
    const text = await readBody(req);
    const parsed = failBody.safeParse(text.trim() === '' ? {} : parseJson(text));
    if (!parsed.success) throw new ControlBodyError(`invalid fail request body: ${describeIssues(parsed.error)}`);
    return { task: sim.failTask(id, parsed.data.state, parsed.data.reason, parsed.data.message) };
  }
  return undefined;
}

interface TaskOfPod {
  taskId: string;
  name: string;
  state: string;
  checks?: { readiness?: CheckMode; health?: CheckMode };
}

/**
 * `POST /sim/v1/pods/{pod}/{unready|unhealthy}`: the pod's tasks launched from now on start with
 * that check failing (sticky, task-checks.ts PodCheckRules); the running one is left as it is.
 * `{ready|healthy}`: the rule goes, and the pod's live tasks with that check pass again.
 */
function setPodCheck(sim: SimControl, pod: string, which: CheckWhich, mode: CheckMode): { pod: string; rule: Record<string, CheckMode>; tasks: string[] } {
  const rule = podCheckRules.set(pod, which, mode);
  const passed: string[] = [];
  if (mode === 'pass') {
    for (const t of sim.tasks() as TaskOfPod[]) {
      if (t.name !== pod || !['TASK_STAGING', 'TASK_STARTING', 'TASK_RUNNING'].includes(t.state) || t.checks?.[which] === undefined) continue;
      sim.setTaskCheck(t.taskId, which, 'pass');
      passed.push(t.taskId);
    }
  }
  return { pod, rule, tasks: passed };
}

class ControlBodyError extends PxfwError {
  readonly code = 'SIM_CONTROL_BAD_REQUEST';
  readonly retryable = false;
}

function statusOf(err: unknown): number {
  if (err instanceof SimAgentNotFoundError || err instanceof SimTaskNotFoundError) return 404;
  if (err instanceof SimInvalidTransitionError) return 409;
  if (err instanceof ControlBodyError || err instanceof SyntaxError) return 400;
  return 500;
}
