import { describe, expect, it } from 'vitest';
import { EventFeed, eventOfAlert, eventOfAudit, eventOfTransition } from '../../src/observe/event-feed';
import type { AuditRecord } from '../../src/api/audit';

const t = (actor: string, from: string, to: string, reason: string | null = null) => ({ ts: '2025-01-01T00:00:00.000Z', service: 'svc', actor, from, to, event: 'X', reason });

describe('the console events: alerts, replacements, commands with who gave them', () => {
  it('says who gave a command and how it went', () => {
    const base: AuditRecord = { ts: 'now', service: 'svc', verb: 'pod.restart', user: 'alice', clientId: 'c1', natsUser: null, natsAccount: null, request: {}, result: 'ok', status: 200, code: null, durationMs: 3 };
    expect(eventOfAudit(base)).toMatchObject({ kind: 'command', text: 'pod.restart by alice: ok', who: 'alice' });
    expect(eventOfAudit({ ...base, user: null, natsUser: 'ops', result: 'error', code: 'UNKNOWN_POD' })).toMatchObject({ text: 'pod.restart by ops: failed (UNKNOWN_POD)', tone: 'bad', who: 'ops' });
  });

  it('turns replacement and probation transitions into events in words, and skips routine ones', () => {
    expect(eventOfTransition(t('pod/node-0', 'running.up', 'running.suspect.probation', 'on probation: Portworx reports node agent-1 OFFLINE'))).toMatchObject({
      kind: 'pod',
      text: 'node-0: on probation: Portworx reports node agent-1 OFFLINE',
    });
    expect(eventOfTransition(t('pod/node-0', 'failed.permanent', 'failed.awaiting-slot'))).toMatchObject({ kind: 'replacement', text: 'node-0 waits for a replacement slot' });
    expect(eventOfTransition(t('pod/node-0', 'failed.awaiting-slot', 're-attaching.fencing'))?.text).toMatch(/node-0 is being replaced on another host/);
    expect(eventOfTransition(t('replacement', 'active', 'paused', 'automatic replacement paused: 3 of 6 …'))).toMatchObject({ kind: 'replacement', tone: 'bad' });
    expect(eventOfTransition(t('pod/node-0', 'placed', 'running.up'))).toBeNull();
    expect(eventOfTransition(t('framework', 'active(plans=deploying)', 'active(plans=complete)'))).toBeNull();
    expect(eventOfTransition(t('framework', 'active(plans=complete)', 'uninstalling.killing'))).toMatchObject({ kind: 'scheduler', text: 'scheduler uninstalling' });
  });

  it('shows a Portworx alert, and says when it cleared', () => {
    expect(eventOfAlert({ resource: 'RESOURCE_TYPE_NODE', resource_id: 'n1', message: 'Node is offline', severity: 'SEVERITY_TYPE_ALARM' })).toMatchObject({ kind: 'alert', text: 'Portworx node n1: Node is offline', tone: 'bad' });
    expect(eventOfAlert({ resource: 'RESOURCE_TYPE_NODE', resource_id: 'n1', message: 'Node is offline', cleared: true })).toMatchObject({ tone: 'ok', text: 'Portworx node n1: Node is offline (cleared)' });
  });

  it('keeps the latest events and tells listeners', () => {
    const feed = new EventFeed(2);
    const heard: string[] = [];
    feed.subscribe((e) => heard.push(e.text));
    for (const n of [1, 2, 3]) feed.push({ ts: 'x', kind: 'pod', text: `e${n}`, tone: 'info' });
    feed.push(null);
    expect(feed.latest().map((e) => e.text)).toEqual(['e2', 'e3']);
    expect(heard).toEqual(['e1', 'e2', 'e3']);
  });
});
