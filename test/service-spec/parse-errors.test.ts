import { describe, expect, it } from 'vitest';
import { parseSpec, ServiceSpecError } from '../../src/service-spec';
import { MINIMAL, withPod } from './fixtures';

function issuesOf(text: string): { path: string; message: string }[] {
  try {
    parseSpec(text);
  } catch (err) {
    expect(err).toBeInstanceOf(ServiceSpecError);
    const e = err as ServiceSpecError;
    expect(e.code).toBe('SERVICE_SPEC_INVALID');
    expect(e.retryable).toBe(false);
    return [...e.issues];
  }
  throw new Error('expected parseSpec to reject the spec');
}

const volume = (fields: string) => withPod(`    volumes:\n      - ${fields.split('\n').join('\n        ')}`);

describe('parseSpec error messages name the bad field', () => {
  const cases: [string, string, string, RegExp][] = [
    ['a negative volume size', volume('name: data\npath: /d\nsize: -3\nrepl: 2'), 'pods.node.volumes[0].size', /positive number/],
    ['a size with an unknown unit', volume('name: data\npath: /d\nsize: 10Qi\nrepl: 2'), 'pods.node.volumes[0].size', /units/],
    ['a replication factor of 4', volume('name: data\npath: /d\nsize: 1\nrepl: 4'), 'pods.node.volumes[0].repl', /1, 2 or 3/],
    ['an unknown io profile', volume('name: data\npath: /d\nsize: 1\nrepl: 1\nio_profile: fast'), 'pods.node.volumes[0].io_profile', /sequential/],
    ['an unknown file system', volume('name: data\npath: /d\nsize: 1\nrepl: 1\nfs: btrfs'), 'pods.node.volumes[0].fs', /ext4/],
    ['a bad priority', volume('name: data\npath: /d\nsize: 1\nrepl: 1\npriority: urgent'), 'pods.node.volumes[0].priority', /high/],
    ['a path escaping with ..', volume('name: data\npath: /d/../etc\nsize: 1\nrepl: 1'), 'pods.node.volumes[0].path', /\.\./],
    ['a misspelled volume field', volume('name: data\npath: /d\nsise: 1\nrepl: 1'), 'pods.node.volumes[0].sise', /unknown field/],
    ['a missing volume size', volume('name: data\npath: /d\nrepl: 1'), 'pods.node.volumes[0].size', /positive number/],
    ['an encryption key in place of a secret name', volume('name: data\npath: /d\nsize: 1\nrepl: 1\nencryption_secret: "a b c"'), 'pods.node.volumes[0].encryption_secret', /name of a secret/],
    ['an upper-case service name', MINIMAL.replace('name: demo', 'name: Demo'), 'name', /lower-case/],
    ['a service name with a dot (breaks NATS subjects)', MINIMAL.replace('name: demo', 'name: my.svc'), 'name', /lower-case/],
    ['a pod type with an underscore', MINIMAL.replace('  node:', '  my_node:'), 'pods.my_node', /pod type/],
    ['zero cpus', MINIMAL.replace('cpus: 0.5', 'cpus: 0'), 'pods.node.cpus', /positive number/],
    ['a fractional count', MINIMAL.replace('count: 2', 'count: 1.5'), 'pods.node.count', /whole number/],
    ['a missing command', MINIMAL.replace('    command: sleep 1000\n', ''), 'pods.node.command', /missing/],
    ['a port out of range', withPod('    ports:\n      - name: http\n        port: 70000'), 'pods.node.ports[0].port', /1-65535/],
    ['a duplicate port name', withPod('    ports:\n      - name: http\n      - name: http'), 'pods.node.ports[1].name', /duplicate port name/],
    ['a bad constraint operator', withPod('    placement: [["hostname", "UNIQ"]]'), 'pods.node.placement[0][1]', /UNIQUE, CLUSTER/],
    ['MAX_PER without a number', withPod('    placement: "rack:MAX_PER"'), 'pods.node.placement[0][2]', /positive integer/],
    ['an invalid LIKE regex', withPod('    placement: [["rack", "LIKE", "rack-[1"]]'), 'pods.node.placement[0][2]', /regular expression/],
    ['an unknown @ field', withPod('    placement: "@rack:UNIQUE"'), 'pods.node.placement[0][0]', /@zone/],
    ['a bad convergence mode', `${MINIMAL}convergence:\n  mode: strict\n`, 'convergence.mode', /soft/],
    ['a negative max_wait', `${MINIMAL}convergence:\n  max_wait: -5\n`, 'convergence.max_wait', /seconds/],
    ['a bad failure timeout', `${MINIMAL}failure_policy:\n  permanent_failure_timeout: soon\n`, 'failure_policy.permanent_failure_timeout', /seconds/],
    ['a non-boolean auto_replace', `${MINIMAL}failure_policy:\n  auto_replace: yes please\n`, 'failure_policy.auto_replace', /true or false/],
    ['a zero probation', `${MINIMAL}failure_policy:\n  probation: 0\n`, 'failure_policy.probation', /seconds/],
    ['a probation in days', `${MINIMAL}failure_policy:\n  probation: 1d\n`, 'failure_policy.probation', /seconds/],
    ['zero concurrent replacements', `${MINIMAL}failure_policy:\n  max_concurrent_replacements: 0\n`, 'failure_policy.max_concurrent_replacements', /whole number, 1 or more/],
    ['a fractional max_unavailable', `${MINIMAL}failure_policy:\n  max_unavailable: 1.5\n`, 'failure_policy.max_unavailable', /whole number, 1 or more/],
    ['an outage share above 1', `${MINIMAL}failure_policy:\n  storage_outage:\n    share: 1.5\n`, 'failure_policy.storage_outage.share', /at most 1/],
    ['an outage share of 0', `${MINIMAL}failure_policy:\n  storage_outage:\n    share: 0\n`, 'failure_policy.storage_outage.share', /above 0/],
    ['an outage min_nodes of 0', `${MINIMAL}failure_policy:\n  storage_outage:\n    min_nodes: 0\n`, 'failure_policy.storage_outage.min_nodes', /whole number, 1 or more/],
    ['a bad outage window', `${MINIMAL}failure_policy:\n  storage_outage:\n    window: -1\n`, 'failure_policy.storage_outage.window', /seconds/],
    ['a misspelled outage field', `${MINIMAL}failure_policy:\n  storage_outage:\n    min_node: 3\n`, 'failure_policy.storage_outage.min_node', /unknown field/],
    ['a per-pod max_unavailable of 0', withPod('    max_unavailable: 0'), 'pods.node.max_unavailable', /whole number, 1 or more/],
    ['a bad volume policy', `${MINIMAL}volume_policy: keep\n`, 'volume_policy', /delete' or 'retain/],
    ['an unknown top-level field', `${MINIMAL}replicas: 3\n`, 'replicas', /unknown field/],
    ['a phase naming an unknown pod', `${MINIMAL}plans:\n  deploy:\n    phases:\n      - name: p\n        pod: ghost\n`, 'plans.deploy.phases[0].pod', /unknown pod type 'ghost'/],
    ['a bad phase strategy', `${MINIMAL}plans:\n  deploy:\n    phases:\n      - name: p\n        pod: node\n        strategy: random\n`, 'plans.deploy.phases[0].strategy', /serial/],
  ];

  it.each(cases)('reports %s at its path', (_what, text, path, message) => {
    const issues = issuesOf(text);
    const issue = issues.find((i) => i.path === path);
    expect(issue, `issues: ${JSON.stringify(issues)}`).toBeDefined();
    expect(issue!.message).toMatch(message);
  });

  it('puts every issue in the error message as "path: message"', () => {
    const text = MINIMAL.replace('cpus: 0.5', 'cpus: -1').replace('repl: 2', 'repl: 9');
    expect(() => parseSpec(text, 'demo.yml')).toThrow(
      /invalid service spec \(demo\.yml\): .*pods\.node\.cpus: expected a positive number.*pods\.node\.volumes\[0\]\.repl: /,
    );
  });

  it('reports YAML syntax errors with a line number', () => {
    const issues = issuesOf('name: demo\npods:\n  node: [unclosed\n');
    expect(issues[0]!.message).toMatch(/YAML syntax error at line \d+/);
  });

  it('rejects a document that is not a mapping', () => {
    expect(issuesOf('- just\n- a list\n')[0]!.message).toMatch(/mapping/);
  });

  it('rejects a spec without pods', () => {
    expect(issuesOf('name: demo\npods: {}\n').some((i) => i.path === 'pods')).toBe(true);
  });
});
