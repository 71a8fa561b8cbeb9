import type { ChaosEnvironment, NatsHandle } from './environment';
import type { FaultLog } from './fault-log';
import type { InvariantMonitor } from './invariants';
import type { WireFaultRates } from './mesos-proxy';
import { describeAction, type Action, type Features } from './plan';

type Anything = Record<string, unknown>;
const has = (o: object, m: string) => typeof (o as Anything)[m] === 'function';
const call = <T = unknown>(o: object, m: string, ...args: unknown[]): T => ((o as Anything)[m] as (...a: unknown[]) => T).apply(o, args);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Which fault methods exist (engineers A and B add them; older trees lack some). */
export function detectFeatures(env: ChaosEnvironment, natsRestart: boolean): Features {
  return {
    crashAgent: has(env.mesos, 'crashAgent'),
    restartAgent: has(env.mesos, 'restartAgent'),
    setNodeStatus: has(env.px, 'setNodeStatus'),
    flapNode: has(env.px, 'flapNode'),
    addDuplicateNode: has(env.px, 'addDuplicateNode'),
    sigkill: env.scheduler.canSigkill,
    natsRestart,
  };
}

/** The pod count the operator asked for: a set of candidates while a scale's outcome is unknown. */
export class WantedCount {
  candidates: number[];
  constructor(initial: number) {
    this.candidates = [initial];
  }
  get max(): number {
    return Math.max(...this.candidates);
  }
}

export interface ActionContext {
  env: ChaosEnvironment;
  nats: NatsHandle;
  faults: FaultLog;
  monitor: InvariantMonitor;
  wanted: WantedCount;
  burstRates: Partial<WireFaultRates>;
  baselineRates: Partial<WireFaultRates>;
  step: number;
}

/** Apply one action to the environment, log it as a fault, and say what happened. */
export async function runAction(a: Action, c: ActionContext): Promise<string> {
  const { env, faults, step } = c;
  const mesos = env.mesos;
  const px = env.px;
  const log = (kind: Parameters<FaultLog['add']>[0]['kind'], detail: string, extra: { host?: string; pod?: string; until?: number } = {}) =>
    faults.add({ step, kind, detail, ...extra });
  switch (a.kind) {
    case 'crash':
      if (has(mesos, 'crashAgent')) {
        call(mesos, 'crashAgent', a.host);
        log('crash', 'host dies silently', { host: a.host });
      } else {
        mesos.killAgent(a.host);
        log('remove-agent', 'killAgent (no crashAgent in this tree)', { host: a.host });
      }
      return describeAction(a);
    case 'restart': {
      if (!has(mesos, 'restartAgent')) return `${describeAction(a)}: skipped (no restartAgent)`;
      call(mesos, 'restartAgent', a.host, { newId: a.newId });
      const e = log(a.newId ? 'restart-new-id' : 'restart', a.newId ? 'reboot: tasks die, new agent id' : 'agent process restart', { host: a.host });
      faults.end(e);
      return describeAction(a);
    }
    case 'partition': {
      mesos.partitionAgent(a.host);
      const e = log('partition', a.healAfterMs !== undefined ? 'short' : 'long', { host: a.host });
      if (a.healAfterMs !== undefined) {
        await sleep(a.healAfterMs);
        mesos.healAgent(a.host);
        faults.end(e);
      }
      return describeAction(a);
    }
    case 'heal':
      return `${describeAction(a)}: ${healHost(a.host, c).join(', ') || 'nothing active'}`;
    case 'px-status': {
      if (has(px, 'setNodeStatus')) call(px, 'setNodeStatus', a.host, a.status);
      else if (a.status === 'STATUS_OFFLINE') px.nodeDown(a.host);
      else return `${describeAction(a)}: skipped (no setNodeStatus)`;
      const kind = ({ STATUS_OFFLINE: 'px-offline', STATUS_MAINTENANCE: 'px-maintenance', STATUS_STORAGE_DOWN: 'px-storage-down', STATUS_NONE: 'px-none' } as const)[a.status];
      log(kind, a.status, { host: a.host });
      return describeAction(a);
    }
    case 'px-flap': {
      if (!has(px, 'flapNode')) return `${describeAction(a)}: skipped (no flapNode)`;
      call(px, 'flapNode', a.host, { periodMs: a.periodMs, count: a.count });
      const now = Date.now();
      log('px-flap', `${a.count} x ${a.periodMs} ms (each offline span counts)`, { host: a.host, until: now + a.periodMs });
      return describeAction(a);
    }
    case 'px-duplicate':
      if (!has(px, 'addDuplicateNode')) return `${describeAction(a)}: skipped (no addDuplicateNode)`;
      call(px, 'addDuplicateNode', a.host, { status: 'STATUS_OFFLINE' });
      log('px-duplicate', 'stale OFFLINE entry with the same hostname', { host: a.host });
      return describeAction(a);
    case 'scheduler-kill':
      if (!env.scheduler.canSigkill) return `${describeAction(a)}: skipped (in-process scheduler)`;
      await env.scheduler.kill();
      faults.end(log('scheduler-kill', `down ${a.downMs} ms`));
      await sleep(a.downMs);
      await startScheduler(env);
      return describeAction(a);
    case 'nats-restart':
      await c.nats.restart();
      faults.end(log('nats-restart', ''));
      return describeAction(a);
    case 'master-failover':
      mesos.failover();
      faults.end(log('master-failover', ''));
      return describeAction(a);
    case 'wire-burst':
      env.proxy.setRates(c.burstRates);
      log('wire-burst', JSON.stringify(c.burstRates));
      return describeAction(a);
    case 'wire-cut':
      faults.end(log('wire-cut', `${env.proxy.cutStreams(a.mode)} stream(s), ${a.mode}`));
      return describeAction(a);
    case 'wire-lose':
      env.proxy.loseNext(1, { callType: a.callType });
      faults.end(log('wire-lose', a.callType));
      return describeAction(a);
    case 'scale':
      return `${describeAction(a)}: ${await scale(a.podType, a.count, c)}`;
    case 'replace': {
      const r = await env.command('pod.replace', { pod: a.pod, confirm: env.service });
      if (r.ok || !r.definite) log('op-replace', r.ok ? 'accepted' : `outcome unknown: ${r.error}`, { pod: a.pod });
      return `${describeAction(a)}: ${r.ok ? 'ok' : r.error}`;
    }
    case 'snapshot': {
      const r = await env.command('snapshot.create', { name: a.name }, 4000);
      faults.end(log('op-snapshot', r.ok ? 'ok' : r.error));
      return `${describeAction(a)}: ${r.ok ? 'ok' : r.error}`;
    }
    case 'quiet':
      return 'quiet';
  }
}

/** Start the scheduler again; a start can fail while the tree is being edited, so try a few times. */
export async function startScheduler(env: ChaosEnvironment, attempts = 3): Promise<void> {
  for (let i = 1; ; i++) {
    try {
      return await env.scheduler.start();
    } catch (err) {
      if (i >= attempts) throw err;
      await sleep(2000);
    }
  }
}

async function scale(podType: string, count: number, c: ActionContext): Promise<string> {
  const before = c.wanted.max;
  let last = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const r = await c.env.command('scale', { podType, count, confirm: c.env.service });
    if (r.ok) {
      c.wanted.candidates = [count];
      for (let i = count; i < before; i++) {
        c.faults.add({ step: c.step, kind: 'op-scale', pod: `${podType}-${i}`, detail: `decommissioned by scale to ${count}` });
        c.monitor.forget(`${podType}-${i}`);
      }
      c.faults.end(c.faults.add({ step: c.step, kind: 'op-scale', detail: `${podType} ${count}` }));
      return 'ok';
    }
    last = r.error;
    if (r.definite) return `refused: ${r.error}`;
    await sleep(500);
  }
  // The scheduler may or may not have applied it: accept either count at the end.
  c.wanted.candidates = [...new Set([...c.wanted.candidates, count])];
  for (let i = count; i < before; i++) c.faults.add({ step: c.step, kind: 'op-scale', pod: `${podType}-${i}`, detail: `maybe decommissioned by scale to ${count}` });
  return `outcome unknown: ${last}`;
}

/** Undo every active fault on a host; returns what was healed. */
export function healHost(host: string, c: ActionContext): string[] {
  const { env, faults } = c;
  const done: string[] = [];
  for (const e of faults.active(host)) {
    switch (e.kind) {
      case 'crash':
        if (has(env.mesos, 'restartAgent')) call(env.mesos, 'restartAgent', host, { newId: true });
        else env.mesos.healAgent(host);
        break;
      case 'remove-agent':
      case 'gone':
        env.mesos.healAgent(host);
        if (!has(env.px, 'setNodeStatus')) env.px.nodeUp(host);
        break;
      case 'partition':
        env.mesos.healAgent(host);
        break;
      case 'px-offline':
      case 'px-maintenance':
      case 'px-storage-down':
      case 'px-none':
        if (has(env.px, 'setNodeStatus')) call(env.px, 'setNodeStatus', host, 'STATUS_OK');
        else env.px.nodeUp(host);
        break;
      case 'px-duplicate':
        call(env.px, 'removeDuplicateNode', host);
        break;
      default:
        continue;
    }
    faults.end(e);
    done.push(e.kind);
  }
  // A flap ends on its own (OK); make sure it is over.
  if (faults.entries.some((e) => e.host === host && e.kind === 'px-flap' && e.step >= c.step - 50) && has(env.px, 'setNodeStatus')) {
    call(env.px, 'setNodeStatus', host, 'STATUS_OK');
  }
  if (done.length) faults.add({ step: c.step, kind: 'heal', host, detail: done.join(', ') });
  return done;
}

/** End of a wire burst: back to the baseline rates. */
export function endBurst(c: ActionContext): void {
  c.env.proxy.setRates({ duplicateUpdate: 0, delayUpdate: 0, cutStream: 0, lostReply: 0, lostRequest: 0, ...c.baselineRates });
  for (const e of c.faults.entries) if (e.kind === 'wire-burst') c.faults.end(e);
}
