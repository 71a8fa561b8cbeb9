import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { PortworxClient, type StorageNode } from '../../../src/portworx';
import { Recorder } from '../../../src/record/recorder';
import { PortworxSimulator } from '../../../src/sim/portworx';
import type { SdkAlert } from '../../../src/alerts';

/** The rack label Portworx puts in a node's scheduler topology (and the simulator copies). */
export const RACK_LABEL = 'topology.portworx.io/rack';

/** A cluster id that is one NATS subject token and unique per test, so tests on the shared server never cross. */
export function uniqueClusterId(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6).toString(36)}`;
}

export async function until(pred: () => boolean, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export interface PxStack {
  /** Recording directory: the client writes DIR/portworx.jsonl. */
  dir: string;
  sim: PortworxSimulator;
  client: PortworxClient;
  clusterId: string;
  /** Stop the simulator and remove the recording directory. */
  stop(): Promise<void>;
}

export interface PxStackOptions {
  /** `--hosts` text, e.g. `a1=rack-1,a2=rack-2`. */
  hosts: string;
  clusterId?: string;
  /** NATS server the simulator publishes alerts on. */
  natsUrl?: string;
  /** Also record on the simulator side into DIR/sim/portworx.jsonl. */
  recordSim?: boolean;
}

/**
 * A real PortworxSimulator on an ephemeral port and a real PortworxClient recording into a fresh
 * directory. The simulator serves the legacy group-snapshot route on its one port, so the client's
 * legacy URL is the simulator URL too.
 */
export async function startPxStack(opts: PxStackOptions): Promise<PxStack> {
  const dir = mkdtempSync(join(tmpdir(), 'pxfw-px-it-'));
  const clusterId = opts.clusterId ?? uniqueClusterId('px-it');
  const sim = await PortworxSimulator.start({
    hosts: opts.hosts,
    clusterId,
    ...(opts.natsUrl ? { natsUrl: opts.natsUrl } : {}),
    ...(opts.recordSim ? { recorder: Recorder.toDir(join(dir, 'sim')) } : {}),
  });
  const client = new PortworxClient({
    url: sim.url,
    legacyUrl: sim.url,
    recorder: Recorder.toDir(dir),
    timeoutMs: 5_000,
    retryBackoff: { baseMs: 10, maxMs: 50 },
  });
  return {
    dir,
    sim,
    client,
    clusterId,
    async stop() {
      await sim.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The exchanges the client recorded in DIR/portworx.jsonl, in order. */
export function recordedExchanges(dir: string): { method: string; path: string; status: number; request: unknown; response: unknown }[] {
  return readFileSync(join(dir, 'portworx.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as { method: string; path: string; status: number; request: unknown; response: unknown });
}

/** Storage nodes by id, and the one whose mgmt_ip (how Portworx reports `attached_on`) is given. */
export async function nodeIndex(client: PortworxClient): Promise<{
  byId: Map<string, StorageNode>;
  byMgmtIp(ip: string | undefined): StorageNode | undefined;
  byHost(host: string): StorageNode;
}> {
  const nodes = await client.enumerateNodes();
  const byId = new Map(nodes.map((n) => [n.id ?? '', n]));
  return {
    byId,
    byMgmtIp: (ip) => (ip ? nodes.find((n) => n.mgmt_ip === ip) : undefined),
    byHost(host) {
      const n = nodes.find((x) => x.scheduler_node_name === host || x.hostname === host);
      if (!n) throw new Error(`no storage node for host ${host}`);
      return n;
    },
  };
}

/** Core-NATS listener on `portworx.alerts.<cluster-id>.>` collecting every alert published there. */
export class AlertTap {
  readonly received: { subject: string; alert: SdkAlert }[] = [];

  private constructor(
    private readonly nc: NatsConnection,
    private readonly sub: Subscription,
  ) {}

  static async open(natsUrl: string, clusterId: string): Promise<AlertTap> {
    const nc = await connect({ servers: natsUrl });
    const sub = nc.subscribe(`portworx.alerts.${clusterId}.>`);
    const tap = new AlertTap(nc, sub);
    void (async () => {
      for await (const m of sub) tap.received.push({ subject: m.subject, alert: m.json<SdkAlert>() });
    })();
    await nc.flush();
    return tap;
  }

  find(pred: (a: SdkAlert, subject: string) => boolean): SdkAlert | undefined {
    return this.received.find((r) => pred(r.alert, r.subject))?.alert;
  }

  async close(): Promise<void> {
    this.sub.unsubscribe();
    await this.nc.close();
  }
}
