import { describe, expect, it } from 'vitest';
import { CHECK_DEFAULTS, parseSpec, ServiceSpecError } from '../../src/service-spec';
import { MINIMAL, withPod } from './fixtures';

const PORTS = '    ports:\n      - name: http\n      - name: admin\n        port: 8081\n';
const check = (key: string, body: string) => withPod(`${PORTS}    ${key}:\n${body.split('\n').map((l) => `      ${l}`).join('\n')}`);

function issuesOf(text: string): { path: string; message: string }[] {
  try {
    parseSpec(text);
  } catch (err) {
    expect(err).toBeInstanceOf(ServiceSpecError);
    return [...(err as ServiceSpecError).issues];
  }
  throw new Error('expected parseSpec to reject the spec');
}

describe('health_check and readiness_check of a pod type', () => {
  it('a spec without checks has none (behaves as before: ready = running)', () => {
    const pod = parseSpec(MINIMAL).pods.node!;
    expect(pod.healthCheck).toBeUndefined();
    expect(pod.readinessCheck).toBeUndefined();
  });

  it('fills in the mesos.proto defaults for every timing a spec leaves out', () => {
    const spec = parseSpec(check('health_check', 'command: curl -f localhost') + `    readiness_check:\n      tcp: {port: http}\n`);
    const pod = spec.pods.node!;
    expect(pod.healthCheck).toEqual({ probe: { kind: 'command', command: 'curl -f localhost' }, ...CHECK_DEFAULTS });
    expect(pod.readinessCheck).toEqual({ probe: { kind: 'tcp', port: 'http' }, delay: 15, interval: 10, timeout: 20 });
  });

  it('reads durations with units, an HTTP probe on a fixed port, and every health field', () => {
    const pod = parseSpec(
      check('health_check', 'http: {port: 8081, path: /health, scheme: https}\ndelay: 1m\ninterval: 5s\ntimeout: 0\ngrace_period: 2m\nconsecutive_failures: 5'),
    ).pods.node!;
    expect(pod.healthCheck).toEqual({
      probe: { kind: 'http', port: 8081, path: '/health', scheme: 'https' },
      delay: 60,
      interval: 5,
      timeout: 0,
      gracePeriod: 120,
      consecutiveFailures: 5,
    });
  });

  const cases: [string, string, string, RegExp][] = [
    ['no probe', check('readiness_check', 'interval: 5'), 'pods.node.readiness_check', /exactly one of command.*http.*tcp/],
    ['two probes', check('readiness_check', 'command: x\ntcp: {port: http}'), 'pods.node.readiness_check', /exactly one of/],
    ['a port the pod does not have', check('readiness_check', 'tcp: {port: gossip}'), 'pods.node.readiness_check.tcp.port', /'gossip' is not a port of this pod type \(its ports: http, admin \(8081\)\)/],
    ['a port number not declared', check('health_check', 'http: {port: 9000}'), 'pods.node.health_check.http.port', /port 9000 is not a fixed port.*declare it under ports/],
    ['a relative HTTP path', check('health_check', 'http: {port: http, path: health}'), 'pods.node.health_check.http.path', /starting with '\/'/],
    ['a zero interval', check('readiness_check', 'command: x\ninterval: 0'), 'pods.node.readiness_check.interval', /more than 0/],
    ['a negative delay', check('readiness_check', 'command: x\ndelay: -1'), 'pods.node.readiness_check.delay', /0 or more/],
    ['zero consecutive failures', check('health_check', 'command: x\nconsecutive_failures: 0'), 'pods.node.health_check.consecutive_failures', /1 or more/],
    ['a grace period on a readiness check', check('readiness_check', 'command: x\ngrace_period: 10'), 'pods.node.readiness_check.grace_period', /unknown field/],
    ['an empty command', check('health_check', 'command: "  "'), 'pods.node.health_check.command', /non-empty/],
  ];
  it.each(cases)('rejects %s, naming the field', (_, text, path, message) => {
    const issues = issuesOf(text);
    expect(issues).toContainEqual({ path, message: expect.stringMatching(message) });
  });
});
