import type { CheckProbe, HealthCheckSpec, ReadinessCheckSpec } from '../service-spec/types';
import type { CommandInfo } from './types';

/**
 * mesos.proto v1 check messages as JSON (field names as the proto has them). `HealthCheck` is
 * what the default executor's HealthChecker runs and kills on; `CheckInfo` is a "non-interpreting
 * non-killing check" whose result comes back in `TaskStatus.check_status` (CheckStatusInfo).
 */
export type CheckType = 'COMMAND' | 'HTTP' | 'TCP';

export interface HealthCheckInfo {
  type: CheckType;
  /** HealthCheck carries the CommandInfo directly (CheckInfo wraps it in Command). */
  command?: CommandInfo;
  http?: { port: number; path?: string; scheme?: string };
  tcp?: { port: number };
  delay_seconds: number;
  interval_seconds: number;
  timeout_seconds: number;
  consecutive_failures: number;
  grace_period_seconds: number;
}

export interface CheckInfo {
  type: CheckType;
  command?: { command: CommandInfo };
  http?: { port: number; path?: string };
  tcp?: { port: number };
  delay_seconds: number;
  interval_seconds: number;
  timeout_seconds: number;
}

export { checkPassed, type CheckStatusInfo } from '../../machines/task-status';

/** Resolves a probe's port (a pod port name or a fixed number) to the port the task holds. */
export type PortOf = (port: string | number) => number;

function probeType(probe: CheckProbe): CheckType {
  return probe.kind === 'command' ? 'COMMAND' : probe.kind === 'http' ? 'HTTP' : 'TCP';
}

/** The check command runs with the task's environment (its ports, PXFW_* names) as the task sees it. */
function commandInfo(command: string, env: Record<string, string>): CommandInfo {
  const variables = Object.entries(env).map(([name, value]) => ({ name, value }));
  return { value: command, shell: true, ...(variables.length > 0 ? { environment: { variables } } : {}) };
}

/** TaskInfo.health_check for a pod type's `health_check`. */
export function healthCheckInfo(spec: HealthCheckSpec, portOf: PortOf, env: Record<string, string>): HealthCheckInfo {
  const p = spec.probe;
  return {
    type: probeType(p),
    ...(p.kind === 'command' ? { command: commandInfo(p.command, env) } : {}),
    ...(p.kind === 'http' ? { http: { port: portOf(p.port), path: p.path, ...(p.scheme ? { scheme: p.scheme } : {}) } } : {}),
    ...(p.kind === 'tcp' ? { tcp: { port: portOf(p.port) } } : {}),
    delay_seconds: spec.delay,
    interval_seconds: spec.interval,
    timeout_seconds: spec.timeout,
    consecutive_failures: spec.consecutiveFailures,
    grace_period_seconds: spec.gracePeriod,
  };
}

/** TaskInfo.check for a pod type's `readiness_check` (CheckInfo has no grace period or failure count). */
export function checkInfo(spec: ReadinessCheckSpec, portOf: PortOf, env: Record<string, string>): CheckInfo {
  const p = spec.probe;
  return {
    type: probeType(p),
    ...(p.kind === 'command' ? { command: { command: commandInfo(p.command, env) } } : {}),
    ...(p.kind === 'http' ? { http: { port: portOf(p.port), path: p.path } } : {}),
    ...(p.kind === 'tcp' ? { tcp: { port: portOf(p.port) } } : {}),
    delay_seconds: spec.delay,
    interval_seconds: spec.interval,
    timeout_seconds: spec.timeout,
  };
}
