import type { Json, SimTask } from './state';

/**
 * What the default executor does with a task's `check` (CheckInfo) and `health_check`
 * (HealthCheck), on simulated time (docs/mesos-api.md, "Checks and health checks"):
 * - each checker starts `delay_seconds` after the task runs, then checks again `interval_seconds`
 *   after the previous check finished or timed out (src/checks/checker_process.cpp);
 * - a check's result is sent (TASK_RUNNING, REASON_TASK_CHECK_STATUS_UPDATED) only when it
 *   differs from the previous one (src/checks/checker.cpp); a timed-out check has no result;
 * - a health check sends healthy=true on its first pass and on the first pass after failures,
 *   and healthy=false on every failure past the grace period; failures before the first pass
 *   within `grace_period_seconds` are ignored; `consecutive_failures` failures kill the task,
 *   whose terminal update says healthy=false (src/checks/health_checker.cpp,
 *   src/launcher/default_executor.cpp).
 * Commands are not run: a check passes unless the operator made it fail (`pxfw sim task
 * unready|unhealthy TASK`, or `--pod POD` for the pod's next tasks) or hang (`--hang`: it times
 * out after `timeout_seconds`).
 */

export type CheckMode = 'pass' | 'fail' | 'hang';
type Kind = 'COMMAND' | 'HTTP' | 'TCP';

export interface SimTaskChecks {
  check?: { type: Kind; delay: number; interval: number; timeout: number };
  health?: { type: Kind; delay: number; interval: number; timeout: number; grace: number; maxFailures: number };
  readiness: CheckMode;
  healthMode: CheckMode;
  /** The last CheckStatusInfo the checker reported (the empty one until a check completes). */
  checkStatus?: Json;
  /** The health checker's last verdict (absent until it has one). */
  healthy?: boolean;
  initializing: boolean;
  consecutiveFailures: number;
  startedAt: number;
  killedUnhealthy: boolean;
  timers: Set<NodeJS.Timeout>;
  stopped: boolean;
}

/** What the checkers need from the task manager. */
export interface CheckHost {
  ms(seconds: number): number;
  /** Forward a TASK_RUNNING with `reason` carrying the task's current check fields. */
  runningUpdate(task: SimTask, reason: string): void;
  /** The executor kills the task after too many failed health checks. */
  killUnhealthy(task: SimTask): void;
}

const num = (v: unknown, fallback: number): number => (typeof v === 'number' ? v : fallback);

export type CheckWhich = 'readiness' | 'health';

/** The pod a launched task belongs to: its `pxfw/pod` label (pxfw's tasks), else its TaskInfo.name. */
export function podOfTask(info: Json): string | undefined {
  const labels = ((info.labels as Json | undefined)?.labels ?? []) as { key?: string; value?: string }[];
  return labels.find((l) => l.key === 'pxfw/pod')?.value ?? (typeof info.name === 'string' ? info.name : undefined);
}

/**
 * Sticky check modes per pod (`pxfw sim task unready|unhealthy --pod POD`): every task of the pod
 * launched from then on starts with its check failing (or hanging), so a relaunched task fails
 * before it ever passes, until `ready|healthy --pod POD` drops the rule. The task running when the
 * rule is set keeps its mode (`unready TASK` is for that one). The rules are held per process:
 * tests run one simulator per service name, and pods are named per service by pxfw.
 */
export class PodCheckRules {
  private readonly rules = new Map<string, Partial<Record<CheckWhich, CheckMode>>>();

  /** `pass` drops the rule for that check. */
  set(pod: string, which: CheckWhich, mode: CheckMode): Partial<Record<CheckWhich, CheckMode>> {
    const rule = { ...this.rules.get(pod) };
    if (mode === 'pass') delete rule[which];
    else rule[which] = mode;
    if (Object.keys(rule).length === 0) this.rules.delete(pod);
    else this.rules.set(pod, rule);
    return rule;
  }

  modeOf(pod: string | undefined, which: CheckWhich): CheckMode {
    return (pod !== undefined ? this.rules.get(pod)?.[which] : undefined) ?? 'pass';
  }

  clear(): void {
    this.rules.clear();
  }
}

export const podCheckRules = new PodCheckRules();

/** The check fields of a launched task (mesos.proto defaults for absent timings). */
export function checksOf(info: Json): SimTaskChecks | undefined {
  const check = info.check as Json | undefined;
  const health = info.health_check as Json | undefined;
  if (!check && !health) return undefined;
  return {
    ...(check
      ? { check: { type: check.type as Kind, delay: num(check.delay_seconds, 15), interval: num(check.interval_seconds, 10), timeout: num(check.timeout_seconds, 20) } }
      : {}),
    ...(health
      ? {
          health: {
            type: health.type as Kind,
            delay: num(health.delay_seconds, 15),
            interval: num(health.interval_seconds, 10),
            timeout: num(health.timeout_seconds, 20),
            grace: num(health.grace_period_seconds, 10),
            maxFailures: num(health.consecutive_failures, 3),
          },
        }
      : {}),
    ...(check ? { checkStatus: emptyStatus(check.type as Kind) } : {}),
    readiness: podCheckRules.modeOf(podOfTask(info), 'readiness'),
    healthMode: podCheckRules.modeOf(podOfTask(info), 'health'),
    initializing: true,
    consecutiveFailures: 0,
    startedAt: 0,
    killedUnhealthy: false,
    timers: new Set(),
    stopped: false,
  };
}

/** The master's validation of TaskInfo.check / health_check (src/common/validation.cpp); undefined when valid. */
export function checkError(info: Json): string | undefined {
  for (const [field, what, label] of [['health_check', 'health check', 'HealthCheck'], ['check', 'check', 'CheckInfo']] as const) {
    const c = info[field] as Json | undefined;
    if (!c) continue;
    const type = c.type as string | undefined;
    if (!type) return `Task uses invalid ${what}: ${label} must specify 'type'`;
    const key = type.toLowerCase();
    if (!['command', 'http', 'tcp'].includes(key)) return `Task uses invalid ${what}: '${type}' is not a valid ${what} type`;
    if (c[key] === undefined) return `Task uses invalid ${what}: Expecting '${key}' to be set for ${type} ${what}`;
    const path = (c.http as Json | undefined)?.path;
    if (typeof path === 'string' && !path.startsWith('/')) return `Task uses invalid ${what}: The path '${path}' of HTTP ${what} must start with '/'`;
    for (const d of ['delay_seconds', 'interval_seconds', 'timeout_seconds', 'grace_period_seconds']) {
      if (typeof c[d] === 'number' && (c[d] as number) < 0) return `Task uses invalid ${what}: Expecting '${d}' to be non-negative`;
    }
  }
  return undefined;
}

/** A CheckStatusInfo with only its type: what every update carries before the first result. */
export function emptyStatus(type: Kind): Json {
  return { type, [type.toLowerCase()]: {} };
}

function resultStatus(type: Kind, passed: boolean): Json {
  if (type === 'COMMAND') return { type, command: { exit_code: passed ? 0 : 1 } };
  if (type === 'HTTP') return { type, http: { status_code: passed ? 200 : 503 } };
  return { type, tcp: { succeeded: passed } };
}

/** Start both checkers: the task has just reported TASK_RUNNING. */
export function startChecks(host: CheckHost, task: SimTask, checks: SimTaskChecks): void {
  checks.startedAt = Date.now();
  if (checks.check) schedule(host, checks, checks.check.delay, () => runCheck(host, task, checks));
  if (checks.health) schedule(host, checks, checks.health.delay, () => runHealth(host, task, checks));
}

/** The task ends or is being killed: the executor pauses its checkers. */
export function stopChecks(checks: SimTaskChecks | undefined): void {
  if (!checks) return;
  checks.stopped = true;
  for (const t of checks.timers) clearTimeout(t);
  checks.timers.clear();
}

function schedule(host: CheckHost, checks: SimTaskChecks, seconds: number, run: () => void): void {
  if (checks.stopped) return;
  const timer = setTimeout(() => {
    checks.timers.delete(timer);
    if (!checks.stopped) run();
  }, host.ms(seconds));
  timer.unref();
  checks.timers.add(timer);
}

/** One attempt: passes or fails at once, or hangs until its timeout (0: forever, no further checks). */
function attempt(host: CheckHost, checks: SimTaskChecks, mode: CheckMode, timeout: number, done: (result: boolean | 'timeout') => void): void {
  if (mode !== 'hang') return done(mode === 'pass');
  if (timeout > 0) schedule(host, checks, timeout, () => done('timeout'));
}

function runCheck(host: CheckHost, task: SimTask, checks: SimTaskChecks): void {
  const c = checks.check!;
  attempt(host, checks, checks.readiness, c.timeout, (result) => {
    const status = result === 'timeout' ? emptyStatus(c.type) : resultStatus(c.type, result);
    if (JSON.stringify(status) !== JSON.stringify(checks.checkStatus)) {
      checks.checkStatus = status;
      host.runningUpdate(task, 'REASON_TASK_CHECK_STATUS_UPDATED');
    }
    schedule(host, checks, c.interval, () => runCheck(host, task, checks));
  });
}

function runHealth(host: CheckHost, task: SimTask, checks: SimTaskChecks): void {
  const h = checks.health!;
  attempt(host, checks, checks.healthMode, h.timeout, (result) => {
    if (result === true) {
      if (checks.initializing || checks.consecutiveFailures > 0) {
        checks.healthy = true;
        host.runningUpdate(task, 'REASON_TASK_HEALTH_CHECK_STATUS_UPDATED');
      }
      checks.initializing = false;
      checks.consecutiveFailures = 0;
    } else if (!(checks.initializing && h.grace > 0 && Date.now() - checks.startedAt <= host.ms(h.grace))) {
      checks.consecutiveFailures += 1;
      checks.healthy = false;
      host.runningUpdate(task, 'REASON_TASK_HEALTH_CHECK_STATUS_UPDATED');
      if (checks.consecutiveFailures >= h.maxFailures) {
        checks.killedUnhealthy = true;
        stopChecks(checks);
        host.killUnhealthy(task);
        return;
      }
    }
    schedule(host, checks, h.interval, () => runHealth(host, task, checks));
  });
}
