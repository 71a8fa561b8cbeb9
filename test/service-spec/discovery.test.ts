import { describe, expect, it } from 'vitest';
import { discoveryView, parseSpec, renderTemplate, ServiceSpecError, siblingsOf } from '../../src/service-spec';

const spec = (command: string, extra = '') =>
  `name: db\npods:\n  node:\n    count: 2\n    cpus: 1\n    mem: 1\n    command: '${command}'\n${extra}  name-node:\n    count: 1\n    cpus: 1\n    mem: 1\n    command: x\n`;

function issues(text: string, options = {}): { path: string; message: string }[] {
  try {
    parseSpec(text, undefined, options);
  } catch (err) {
    if (err instanceof ServiceSpecError) return [...err.issues];
    throw err;
  }
  throw new Error('expected parseSpec to reject the spec');
}

describe('discovery variables', () => {
  it('give each sibling of every pod type its stable autoip and Mesos-DNS name', () => {
    const view = discoveryView(parseSpec(spec('x')), 'node', 1);
    expect(view).toMatchObject({
      TASK_NAME: 'node-1',
      POD_INSTANCE_INDEX: '1',
      FRAMEWORK_HOST: 'db.autoip.dcos.thisdcos.directory',
      NODE_COUNT: '2',
      NODE_HOSTS: 'node-0.db.autoip.dcos.thisdcos.directory,node-1.db.autoip.dcos.thisdcos.directory',
      NODE_MESOS_HOSTS: 'node-0.db.mesos,node-1.db.mesos',
      NODE_NAMES: 'node-0,node-1',
      NAME_NODE_HOSTS: 'name-node-0.db.autoip.dcos.thisdcos.directory',
    });
  });

  it('render list sections with a separator between items', () => {
    const view = discoveryView(parseSpec(spec('x')), 'node', 0);
    expect(renderTemplate('{{#NODE_PODS}}{{INDEX}}@{{HOST}}{{^LAST}},{{/LAST}}{{/NODE_PODS}}', view)).toBe(
      '0@node-0.db.autoip.dcos.thisdcos.directory,1@node-1.db.autoip.dcos.thisdcos.directory',
    );
  });

  it('leave text without tags untouched and do not HTML-escape values', () => {
    const view = { ...discoveryView(parseSpec(spec('x')), 'node', 0), TASK_NAME: 'a&b' };
    expect(renderTemplate('$HOME && {{TASK_NAME}}', view)).toBe('$HOME && a&b');
  });
  it('build the siblings once per spec and pod type: every launch of a deploy shares them', () => {
    const parsed = parseSpec(spec('x'));
    const a = discoveryView(parsed, 'node', 0);
    const b = discoveryView(parsed, 'node', 1);
    expect(b.NODE_PODS).toBe(a.NODE_PODS);
    expect(siblingsOf(parsed, 'node')).toBe(a.NODE_PODS);
    expect(Object.isFrozen(a.NODE_PODS)).toBe(true);
    // Another spec object (a new config) gets its own, at its own count.
    const scaled = parseSpec(spec('x').replace('count: 2', 'count: 3'));
    expect(discoveryView(scaled, 'node', 0).NODE_NAMES).toBe('node-0,node-1,node-2');
    expect(discoveryView(parsed, 'node', 0).NODE_NAMES).toBe('node-0,node-1');
  });

  it('follow a spec whose count was changed in place (not how pxfw changes it, but never stale)', () => {
    const parsed = parseSpec(spec('x'));
    expect(discoveryView(parsed, 'node', 0).NODE_COUNT).toBe('2');
    (parsed.pods.node as { count: number }).count = 3;
    expect(discoveryView(parsed, 'node', 0)).toMatchObject({ NODE_COUNT: '3', NODE_NAMES: 'node-0,node-1,node-2' });
  });
});

describe('templates are checked when the spec is parsed', () => {
  it('reject an unknown variable, naming the field and the variables that exist', () => {
    const [issue] = issues(spec('run {{TASK_HOSTNAME}}'));
    expect(issue?.path).toBe('pods.node.command');
    expect(issue?.message).toMatch(/TASK_HOSTNAME.*not a variable.*TASK_HOST/);
  });

  it('reject a list section of a pod type the spec does not have, and item fields outside their list', () => {
    expect(issues(spec('{{#BROKER_PODS}}{{HOST}}{{/BROKER_PODS}}'))[0]?.message).toMatch(/BROKER_PODS.*not a section.*NODE_PODS/);
    expect(issues(spec('{{HOST}}'))[0]?.message).toMatch(/HOST.*not a variable/);
  });

  it('reject an unclosed section and templates in snapshot commands', () => {
    expect(issues(spec('{{#NODE_PODS}}x'))[0]?.message).toMatch(/not a valid template/);
    expect(issues(spec('x', '    pre_snapshot: flush {{TASK_NAME}}\n'))[0]).toMatchObject({ path: 'pods.node.pre_snapshot', message: expect.stringMatching(/not rendered/) });
  });

  it('check env values and check commands too', () => {
    expect(issues(spec('x', '    env:\n      A: "{{NOPE}}"\n'))[0]?.path).toBe('pods.node.env.A');
    expect(issues(spec('x', '    readiness_check:\n      command: "{{NOPE}}"\n'))[0]?.path).toBe('pods.node.readiness_check.command');
  });
});

describe('cluster rules (what a real DC/OS agent would refuse)', () => {
  const withVolume = (path: string, image = '') =>
    `name: db\npods:\n  node:\n    count: 1\n    cpus: 1\n    mem: 1\n    command: x\n${image}    volumes:\n      - {name: data, path: ${path}, size: 1, repl: 1}\n`;

  it('reject an absolute container path without an image, saying how to fix it', () => {
    const [issue] = issues(withVolume('/var/lib/db'), { clusterRules: true });
    expect(issue?.path).toBe('pods.node.volumes[0].path');
    expect(issue?.message).toMatch(/no image.*agent host.*pods\.node\.image.*'var\/lib\/db'/);
  });

  it('accept an absolute path with an image, and a sandbox-relative path without one', () => {
    expect(() => parseSpec(withVolume('/var/lib/db', '    image: db:1\n'), undefined, { clusterRules: true })).not.toThrow();
    expect(() => parseSpec(withVolume('data'), undefined, { clusterRules: true })).not.toThrow();
  });

  it('are off unless asked for (the simulated cluster runs short specs)', () => {
    expect(() => parseSpec(withVolume('/var/lib/db'))).not.toThrow();
  });
});

describe('volume sizes the pxd driver can express', () => {
  const withSize = (size: string) => `name: db\npods:\n  node:\n    count: 1\n    cpus: 1\n    mem: 1\n    command: x\n    volumes:\n      - {name: data, path: d, size: ${size}, repl: 1}\n`;

  it.each(['0.5', '512Mi', '1.5Gi'])('reject %s: OpenStorage reads only whole GiB ("0.5" creates 0 bytes)', (size) => {
    const [issue] = issues(withSize(size));
    expect(issue?.path).toBe('pods.node.volumes[0].size');
    expect(issue?.message).toMatch(/whole GiB/);
  });

  it.each([['1024Mi', 1], ['3', 3], ['1Ti', 1024]])('accept %s as %d GiB', (size, gib) => {
    expect(parseSpec(withSize(size)).pods.node!.volumes[0]!.size).toBe(gib);
  });
});

describe('tunables', () => {
  it('must name env variables of the pod type', () => {
    const text = `name: db\npods:\n  node:\n    count: 1\n    cpus: 1\n    mem: 1\n    command: x\n    env: {HEAP: 1g}\n    tunables: {HEAP: heap, HEAPS: typo}\n`;
    expect(issues(text)).toEqual([{ path: 'pods.node.tunables.HEAPS', message: expect.stringMatching(/not in pods\.node\.env/) }]);
  });
});
