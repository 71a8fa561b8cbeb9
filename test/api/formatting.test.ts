import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { formatTable } from '../../src/cli/table';
import { redactRequest, callerFromHeaders } from '../../src/api/audit';
import { planProgressLine } from '../../src/cli/render';
import { watchPlan } from '../../src/cli/progress';
import { scaleRequestSchema, VERBS, describeIssues, requestJsonSchema } from '../../src/api/verbs';
import type { PlanView } from '../../src/api/operations';

const cell = fc.oneof(fc.string({ maxLength: 12 }).filter((s) => !/\s/.test(s) && s !== ''), fc.integer({ min: 0, max: 99999 }));

describe('the table formatter', () => {
  it('starts every column at the same offset on every line', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.array(fc.array(cell, { minLength: 5, maxLength: 5 }), { maxLength: 8 }), (n, rows) => {
        const headers = Array.from({ length: n }, (_, i) => `H${i}`);
        const body = rows.map((r) => r.slice(0, n));
        const lines = formatTable(headers, body).split('\n');
        expect(lines).toHaveLength(body.length + 1);
        // Cells hold no spaces here, so each column starts where the header's does.
        const starts = (line: string) => [...line.matchAll(/(?:^|(?<= ))\S/g)].map((m) => m.index);
        const headerStarts = starts(lines[0] ?? '');
        for (const line of lines) expect(starts(line)).toEqual(headerStarts);
      }),
    );
  });

  it('shows empty and null cells as "-" and keeps rows on one line', () => {
    expect(formatTable(['A', 'B'], [[null, 'x\ny'], ['', undefined]])).toBe('A  B\n-  x y\n-  -');
  });
});

describe('audit redaction', () => {
  it('never lets a secret-named field or a spec YAML through', () => {
    const secretKey = fc.constantFrom('password', 'token', 'secret', 'credentials', 'privateKey', 'nkeySeed', 'authorization', 'PASS');
    fc.assert(
      fc.property(secretKey, fc.string({ minLength: 8 }), fc.string({ minLength: 1 }), (key, secret, yaml) => {
        const marker = `SECRET${secret}`;
        const out = JSON.stringify(redactRequest({ pod: 'node-0', nested: { [key]: marker, list: [{ [key]: marker }] }, yaml: `${marker}${yaml}` }));
        expect(out).not.toContain(marker);
        expect(out).toContain('"pod":"node-0"');
      }),
    );
  });

  it('reads the caller from Pxfw-User, Pxfw-Client-Id and Nats-Request-Info', () => {
    const h = new Map([
      ['Pxfw-User', 'alice'],
      ['Pxfw-Client-Id', '7'],
      ['Nats-Request-Info', '{"acc":"OPS","user":"alice-nats"}'],
    ]);
    expect(callerFromHeaders({ get: (k) => h.get(k) ?? '' })).toEqual({ user: 'alice', clientId: '7', natsUser: 'alice-nats', natsAccount: 'OPS' });
    expect(callerFromHeaders(undefined)).toEqual({ user: null, clientId: null, natsUser: null, natsAccount: null });
    expect(callerFromHeaders({ get: (k) => (k === 'Nats-Request-Info' ? '{oops' : '') }).natsUser).toBe('(unreadable Nats-Request-Info)');
  });
});

describe('request schemas', () => {
  it('accept exactly the non-negative integer counts', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer(), fc.double(), fc.string()), (count) => {
        const ok = scaleRequestSchema.safeParse({ podType: 'node', count }).success;
        expect(ok).toBe(typeof count === 'number' && Number.isInteger(count) && count >= 0 && count <= 10_000);
      }),
    );
  });

  it('give every verb a JSON schema, with confirm on exactly the destructive ones', () => {
    for (const def of VERBS) {
      const schema = requestJsonSchema(def) as { type: string; properties?: Record<string, unknown>; additionalProperties: boolean };
      expect(schema.type, def.verb).toBe('object');
      expect(schema.additionalProperties, def.verb).toBe(false);
      expect('confirm' in (schema.properties ?? {}), def.verb).toBe(def.destructive);
      expect(def.readOnly && def.destructive, def.verb).toBe(false);
    }
  });

  it('describe issues as field: message', () => {
    const r = scaleRequestSchema.safeParse({ count: 1.5, extra: 1 });
    expect(r.success).toBe(false);
    expect(describeIssues(r.error?.issues ?? [])).toBe(
      'podType: is required (a string: the pod type, e.g. node); count: must be a non-negative integer; extra: unknown field',
    );
  });
});

function planOf(statuses: string[], status: PlanView['status'] = 'IN_PROGRESS'): PlanView {
  return {
    name: 'deploy',
    status,
    paused: false,
    phases: [{ name: 'deploy', strategy: 'serial', status, steps: statuses.map((s, i) => ({ name: `node-${i}`, status: s as PlanView['phases'][number]['steps'][number]['status'] })) }],
    errors: [],
  };
}

describe('plan progress', () => {
  it('prints the count of complete steps and the steps in flight', () => {
    expect(planProgressLine(planOf(['COMPLETE', 'COMPLETE', 'STARTING']))).toBe('deploy: 2/3 steps complete (node-2 STARTING)');
    expect(planProgressLine(planOf(['COMPLETE', 'PENDING', 'PENDING']))).toBe('deploy: 1/3 steps complete (node-1 PENDING)');
    expect(planProgressLine(planOf(['COMPLETE'], 'COMPLETE'))).toBe('deploy: 1/1 steps complete, plan COMPLETE');
  });

  it('watchPlan stops at ERROR, prints each change once, and times out on a stuck plan', async () => {
    let t = 0;
    const clock = { now: () => t, sleep: async (ms: number) => void (t += ms) };
    const seq = [planOf(['PENDING']), planOf(['PENDING']), planOf(['ERROR'], 'ERROR')];
    const lines: string[] = [];
    const failed = await watchPlan(async () => seq.shift() ?? planOf([]), { timeoutMs: 10_000, pollMs: 100, print: (l) => lines.push(l), ...clock });
    expect(failed.outcome).toBe('error');
    expect(lines).toEqual(['deploy: 0/1 steps complete (node-0 PENDING)', 'deploy: 0/1 steps complete, plan ERROR']);

    t = 0;
    const stuck = await watchPlan(async () => planOf(['STARTING']), { timeoutMs: 1000, pollMs: 300, print: () => undefined, ...clock });
    expect(stuck.outcome).toBe('timeout');
    expect(t).toBe(1000);
  });
});
