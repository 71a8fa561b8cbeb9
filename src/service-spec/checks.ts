import { z } from 'zod';
import type { SpecIssue } from './errors';
import type { CheckProbe, HealthCheckSpec, PortSpec, ReadinessCheckSpec } from './types';
import { parseDurationSeconds } from './units';

/**
 * `health_check` and `readiness_check` of a pod type (docs/service-spec.md). They become Mesos
 * `TaskInfo.health_check` (HealthCheck) and `TaskInfo.check` (CheckInfo); the defaults are the
 * ones mesos.proto v1 declares, so a spec that leaves a field out gets what Mesos would do.
 */

/** mesos.proto v1 defaults (HealthCheck / CheckInfo field defaults). */
export const CHECK_DEFAULTS = { delay: 15, interval: 10, timeout: 20, gracePeriod: 10, consecutiveFailures: 3 } as const;

/** A duration of 0 or more seconds (a bare number or "90s", "5m"); 0 is a legal proto value. */
const seconds = (fallback: number, what: string, min: 'zero' | 'positive') =>
  z
    .unknown()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined) return fallback;
      const s = parseDurationSeconds(v);
      if (s === undefined || s < 0 || (min === 'positive' && s === 0)) {
        const bound = min === 'zero' ? '0 or more' : 'more than 0';
        ctx.issues.push({ code: 'custom', input: v, message: `expected ${what}: a number of seconds, ${bound} (or "30s", "5m")` });
        return z.NEVER;
      }
      return s;
    });

/** A pod port by name (`native`) or a fixed port number the pod type declares. */
const portRef = z.union([z.string().min(1), z.number().int().min(1).max(65535)], {
  error: 'expected the name of one of this pod type\'s ports (e.g. "http") or a port number 1-65535',
});

const command = z.string({ error: 'expected a shell command (a string)' }).trim().min(1, { error: 'expected a non-empty shell command' });
const http = z.strictObject({
  port: portRef,
  path: z
    .string({ error: 'expected a URL path such as /health' })
    .regex(/^\//, { error: "expected a URL path starting with '/' such as /health" })
    .default('/'),
  scheme: z.enum(['http', 'https'], { error: "expected 'http' or 'https'" }).optional(),
});
const tcp = z.strictObject({ port: portRef });

const probeFields = {
  command: command.optional(),
  http: http.optional(),
  tcp: tcp.optional(),
  delay: seconds(CHECK_DEFAULTS.delay, 'the wait after TASK_RUNNING before the first check', 'zero'),
  interval: seconds(CHECK_DEFAULTS.interval, 'the wait between two checks', 'positive'),
  timeout: seconds(CHECK_DEFAULTS.timeout, 'how long one check may take (0: no limit)', 'zero'),
};

const exactlyOne = (c: { command?: unknown; http?: unknown; tcp?: unknown }) => [c.command, c.http, c.tcp].filter((x) => x !== undefined).length === 1;
const ONE_PROBE = 'set exactly one of command (a shell command, exit code 0 passes), http ({port, path}: status 200-399 passes) or tcp ({port}: a connection passes)';

export const readinessCheckSchema = z.strictObject(probeFields, { error: 'expected a check: {command | http | tcp, interval, timeout, delay}' }).refine(exactlyOne, { error: ONE_PROBE });

export const healthCheckSchema = z
  .strictObject(
    {
      ...probeFields,
      grace_period: seconds(CHECK_DEFAULTS.gracePeriod, 'how long after launch failures are ignored', 'zero'),
      consecutive_failures: z
        .number({ error: 'expected the number of failed checks in a row that kill the task (a whole number, 1 or more)' })
        .int({ error: 'expected the number of failed checks in a row that kill the task (a whole number, 1 or more)' })
        .min(1, { error: 'expected the number of failed checks in a row that kill the task (a whole number, 1 or more)' })
        .default(CHECK_DEFAULTS.consecutiveFailures),
    },
    { error: 'expected a health check: {command | http | tcp, interval, timeout, delay, grace_period, consecutive_failures}' },
  )
  .refine(exactlyOne, { error: ONE_PROBE });

type RawReadiness = z.output<typeof readinessCheckSchema>;
type RawHealth = z.output<typeof healthCheckSchema>;

function probeOf(raw: RawReadiness, ports: PortSpec[], at: string, issues: SpecIssue[]): CheckProbe {
  if (raw.command !== undefined) return { kind: 'command', command: raw.command };
  const port = raw.http?.port ?? raw.tcp?.port ?? 0;
  const kind = raw.http ? 'http' : 'tcp';
  checkPort(port, ports, `${at}.${kind}.port`, issues);
  if (raw.http) return { kind: 'http', port, path: raw.http.path, ...(raw.http.scheme ? { scheme: raw.http.scheme } : {}) };
  return { kind: 'tcp', port };
}

/**
 * The checker connects to 127.0.0.1:<port> inside the task's network (mesos.proto CheckInfo.Http),
 * so the port must be one the pod type holds: a named port (resolved at launch) or a fixed one.
 */
function checkPort(port: string | number, ports: PortSpec[], path: string, issues: SpecIssue[]): void {
  const declared = ports.map((p) => (p.port ? `${p.name} (${p.port})` : p.name)).join(', ') || 'none';
  if (typeof port === 'string' && !ports.some((p) => p.name === port)) {
    issues.push({ path, message: `'${port}' is not a port of this pod type (its ports: ${declared}); name one of them or declare it under ports` });
  } else if (typeof port === 'number' && !ports.some((p) => p.port === port)) {
    issues.push({ path, message: `port ${port} is not a fixed port of this pod type (its ports: ${declared}); declare it under ports or name a declared port` });
  }
}

export function buildReadinessCheck(raw: RawReadiness, ports: PortSpec[], at: string, issues: SpecIssue[]): ReadinessCheckSpec {
  return { probe: probeOf(raw, ports, at, issues), delay: raw.delay, interval: raw.interval, timeout: raw.timeout };
}

export function buildHealthCheck(raw: RawHealth, ports: PortSpec[], at: string, issues: SpecIssue[]): HealthCheckSpec {
  return {
    ...buildReadinessCheck(raw, ports, at, issues),
    gracePeriod: raw.grace_period,
    consecutiveFailures: raw.consecutive_failures,
  };
}
