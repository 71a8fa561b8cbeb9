import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { headers, type Msg } from '@nats-io/transport-node';
import { Svcm } from '@nats-io/services';
import { auditSubject, verbSubject } from '../../src/api/subjects';
import { VERBS } from '../../src/api/verbs';
import type { AuditRecord } from '../../src/api/audit';
import { startHarness, type Harness } from './helpers';

function errorOf(reply: Msg): { code: string | undefined; text: string | undefined } {
  return { code: reply.headers?.get('Nats-Service-Error-Code'), text: reply.headers?.get('Nats-Service-Error') };
}

describe('the command service on NATS', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ sidecars: { repair: { KEYSPACE: '' } } });
  });
  afterEach(async () => {
    await h.close();
  });

  const request = (verb: string, body: unknown, raw = false) =>
    h.nc.request(verbSubject(h.service, verb), raw ? (body as string) : JSON.stringify(body), { timeout: 5000 });

  it('answers every verb on pxfw.<service>.<verb> with a JSON reply', async () => {
    const confirm = { confirm: h.service };
    const bodies: Record<string, unknown> = {
      'plan.force-complete': { plan: 'deploy', ...confirm },
      'plan.restart': { plan: 'deploy', phase: 'deploy', step: 'node-0', ...confirm },
      'pod.info': { pod: 'node-0' },
      'pod.restart': { pod: 'node-0', ...confirm },
      'pod.replace': { pod: 'node-1', ...confirm },
      scale: { podType: 'node', count: 4, ...confirm },
      'snapshot.create': { name: 'nightly' },
      'snapshot.restore': { snapshot: 'nightly', ...confirm },
      'config.update': { yaml: 'name: x\npods:\n  node:\n    count: 4\n', ...confirm },
      'config.rollback': { ...confirm },
      'config.get': { id: 'initial' },
      'plan.start': { plan: 'repair', parameters: { KEYSPACE: 'ks' } },
      'plan.stop': { plan: 'repair' },
      uninstall: { ...confirm },
      reinstall: { ...confirm },
    };
    // uninstall last: after it the fake refuses changes, as the scheduler does; reinstall undoes it.
    const last = ['uninstall', 'reinstall'];
    const order = [...VERBS.filter((v) => !last.includes(v.verb)), ...last.map((name) => VERBS.find((v) => v.verb === name)!)];
    for (const def of order) {
      const reply = await request(def.verb, bodies[def.verb] ?? {});
      expect(errorOf(reply), def.verb).toEqual({ code: undefined, text: undefined });
      expect(reply.json(), def.verb).toBeDefined();
    }
    expect(h.audit.map((a) => a.verb)).toEqual(order.map((v) => v.verb));
    expect(h.audit.every((a) => a.result === 'ok')).toBe(true);
  });

  it('registers as the micro service pxfw with a JSON schema for each endpoint', async () => {
    const client = new Svcm(h.nc as unknown as ConstructorParameters<typeof Svcm>[0]).client();
    const infos = [];
    for await (const info of await client.info('pxfw')) infos.push(info);
    const mine = infos.find((i) => i.id === h.commands.id);
    expect(mine?.name).toBe('pxfw');
    const scale = mine?.endpoints.find((e) => e.subject === verbSubject(h.service, 'scale'));
    expect(scale?.name).toBe('scale');
    expect(scale?.metadata?.destructive).toBe('true');
    const schema = JSON.parse(scale?.metadata?.request_schema ?? '{}') as { required?: string[]; properties?: Record<string, unknown> };
    expect(schema.required).toEqual(['podType', 'count']);
    expect(schema.properties).toHaveProperty('confirm');
    const forceComplete = mine?.endpoints.find((e) => e.subject === verbSubject(h.service, 'plan.force-complete'));
    expect(forceComplete?.name).toBe('plan-force-complete');
    expect(mine?.endpoints).toHaveLength(VERBS.length);
  });

  it('answers bad JSON with 400 and says the body is not JSON', async () => {
    const reply = await request('scale', '{"podType": "node", count: 3', true);
    expect(errorOf(reply).code).toBe('400');
    expect(errorOf(reply).text).toMatch(/^INVALID_REQUEST: request body: not valid JSON/);
    expect(h.ops.mutations).toBe(0);
  });

  it('answers a negative count with 400 naming the field, and scales nothing', async () => {
    const reply = await request('scale', { podType: 'node', count: -1, confirm: h.service });
    expect(errorOf(reply)).toEqual({ code: '400', text: 'INVALID_REQUEST: count: must be a non-negative integer' });
    expect(reply.json()).toEqual({ error: { status: 400, code: 'INVALID_REQUEST', message: 'count: must be a non-negative integer' } });
    expect(h.ops.mutations).toBe(0);
    expect((await h.ops.podList()).length).toBe(3);
  });

  it('names missing and unknown fields', async () => {
    const missing = await request('pod.info', {});
    expect(errorOf(missing).text).toBe('INVALID_REQUEST: pod: is required (a string: the pod instance name, e.g. node-0)');
    const unknown = await request('pod.list', { verbose: true });
    expect(errorOf(unknown).text).toBe('INVALID_REQUEST: verbose: unknown field');
    const stepOnly = await request('plan.restart', { plan: 'deploy', step: 'node-0', confirm: h.service });
    expect(errorOf(stepOnly).text).toBe('INVALID_REQUEST: step: is only allowed together with phase');
    const notObject = await request('pod.list', [1, 2]);
    expect(errorOf(notObject).text).toBe('INVALID_REQUEST: request body: expected object, received array');
  });

  it('treats an empty request as {}', async () => {
    const reply = await request('pod.list', '', true);
    expect(errorOf(reply).code).toBeUndefined();
    expect(reply.json<unknown[]>()).toHaveLength(3);
  });

  it('refuses a destructive verb without "confirm": "<service>" with 412 saying what to send', async () => {
    const missing = await request('pod.replace', { pod: 'node-1' });
    expect(errorOf(missing).code).toBe('412');
    expect(errorOf(missing).text).toBe(
      `CONFIRMATION_REQUIRED: pod.replace is destructive: send "confirm": "${h.service}" in the request (no confirm field was sent; the CLI sends it with --yes)`,
    );
    const wrong = await request('uninstall', { confirm: 'other-service' });
    expect(errorOf(wrong).code).toBe('412');
    expect(errorOf(wrong).text).toContain("confirm was 'other-service'");
    expect(h.ops.mutations).toBe(0);
    expect(h.ops.uninstalling).toBe(false);
  });

  it('maps the typed operation errors to their status', async () => {
    const pod = await request('pod.status', { pod: 'node-9' });
    expect(errorOf(pod)).toEqual({ code: '404', text: "UNKNOWN_POD: pod 'node-9' does not exist (pods: node-0, node-1, node-2)" });
    const plan = await request('plan.status', { plan: 'nope' });
    expect(errorOf(plan).code).toBe('404');
    expect(errorOf(plan).text).toMatch(/^UNKNOWN_PLAN: /);
    const snap = await request('snapshot.restore', { snapshot: 'nope', confirm: h.service });
    expect(errorOf(snap).text).toMatch(/^UNKNOWN_SNAPSHOT: /);
    await request('uninstall', { confirm: h.service });
    const conflict = await request('scale', { podType: 'node', count: 5, confirm: h.service });
    expect(errorOf(conflict).code).toBe('409');
  });

  it('answers an unexpected failure with 500 and logs it once with its cause', async () => {
    h.ops.failNext = new TypeError('boom', { cause: new Error('deeper') });
    const reply = await request('pod.list', {});
    expect(errorOf(reply)).toEqual({ code: '500', text: 'INTERNAL: TypeError: boom (see the scheduler log)' });
    const logged = h.log.filter((l) => l.msg === 'command failed unexpectedly');
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ verb: 'pod.list', err: { type: 'TypeError', message: expect.stringMatching(/^boom/) } });
    expect(JSON.stringify(logged[0])).toContain('deeper');
  });

  it('audits every command: who, what without secrets, result and duration, as a log line and on events.audit', async () => {
    const sub = h.nc.subscribe(auditSubject(h.service), { max: 2 });
    const received: AuditRecord[] = [];
    const done = (async () => {
      for await (const m of sub) received.push(m.json<AuditRecord>());
    })();
    await h.nc.flush();
    const hdrs = headers();
    hdrs.set('Pxfw-User', 'carol');
    hdrs.set('Pxfw-Client-Id', '42');
    const yaml = 'name: x\npods:\n  node:\n    count: 3\n    password: hunter2\n';
    await h.nc.request(verbSubject(h.service, 'config.update'), JSON.stringify({ yaml, confirm: h.service }), { timeout: 5000, headers: hdrs });
    await h.nc.request(verbSubject(h.service, 'pod.replace'), JSON.stringify({ pod: 'node-7', confirm: h.service }), { timeout: 5000, headers: hdrs });
    await done;

    expect(received).toHaveLength(2);
    const [update, replace] = received;
    expect(update).toMatchObject({ service: h.service, verb: 'config.update', user: 'carol', clientId: '42', result: 'ok', status: 200, code: null });
    expect(update?.request).toMatchObject({ yaml: { bytes: yaml.length, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) }, confirm: h.service });
    expect(JSON.stringify(received)).not.toContain('hunter2');
    expect(replace).toMatchObject({ verb: 'pod.replace', result: 'error', status: 404, code: 'UNKNOWN_POD', request: { pod: 'node-7' } });
    expect(typeof replace?.durationMs).toBe('number');
    expect(h.auditLog.map((l) => (l.audit as AuditRecord).verb)).toEqual(['config.update', 'pod.replace']);
    expect(h.auditLog[1]?.msg).toBe('pod.replace by carol: error 404');
  });

  it('stops answering after stop()', async () => {
    await h.commands.stop();
    await expect(request('pod.list', {})).rejects.toThrow(/no responders/);
    // afterEach's close() stops it a second time, which must be harmless.
  });
});
