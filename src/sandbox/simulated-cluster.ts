import { randomUUID } from 'node:crypto';
import type { NatsConnection } from '@nats-io/nats-core';
import { MesosSimulator } from '../sim/mesos';
import { PortworxSimulator } from '../sim/portworx';
import { PortworxVolumeIsolator } from '../sim/isolator/portworx-isolator';
import { PortworxClient } from '../portworx';
import type { Logger } from '../log/logger';

export interface SimulatedClusterOptions {
  agents: number;
  racks: number;
  speed: number;
  /** Portworx alerts are published here. */
  nc: NatsConnection;
  logger?: Logger;
  /** Simulated seconds from a host crash to its Portworx node reported offline (default 3, divided by speed). */
  detectDelaySeconds?: number;
}

/**
 * A simulated Mesos master whose agents play the pxd docker volume isolator against a simulated
 * Portworx cluster that mirrors those agents as storage nodes. A host that crashes in Mesos
 * crashes in Portworx too (its node goes offline after the detection delay), and boots there when
 * it comes back; both simulators run at the same speed.
 */
export class SimulatedCluster {
  private constructor(
    readonly mesos: MesosSimulator,
    readonly portworx: PortworxSimulator,
  ) {}

  static async start(opts: SimulatedClusterOptions): Promise<SimulatedCluster> {
    let isolator: PortworxVolumeIsolator | undefined;
    let portworx: PortworxSimulator | undefined;
    // Portworx starts after Mesos (it mirrors its agents): host events are bound late, like the isolator.
    const hostEvent = (what: 'crash' | 'boot', hostname: string) => {
      try {
        if (what === 'crash') portworx?.crashHost(hostname);
        else portworx?.bootHost(hostname);
      } catch (err) {
        opts.logger?.warn({ err, hostname }, `Portworx simulator: host ${what} not applied`);
      }
    };
    const mesos = await MesosSimulator.start({
      agents: opts.agents,
      racks: opts.racks,
      speed: opts.speed,
      // Agents offer the simulator's default, DC/OS's port ranges, which hold every fixed port of the shipped specs.
      // The isolator needs Portworx, which mirrors this master: bind it once both are up.
      isolator: {
        prepare: (t) => isolator!.prepare(t),
        release: (t) => isolator!.release(t),
      },
      hostEvents: {
        down: (hostname: string) => hostEvent('crash', hostname),
        up: (hostname: string) => hostEvent('boot', hostname),
      },
    });
    portworx = await PortworxSimulator.start({
      mesosUrl: mesos.url,
      nats: opts.nc,
      clusterId: `sim-${randomUUID().slice(0, 8)}`,
      speed: opts.speed,
      ...(opts.detectDelaySeconds !== undefined ? { detectDelaySeconds: opts.detectDelaySeconds } : {}),
    });
    isolator = new PortworxVolumeIsolator(new PortworxClient({ url: portworx.url, legacyUrl: portworx.url }), opts.logger);
    const end = Date.now() + 10_000;
    while (portworx.nodes().length < opts.agents && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    return new SimulatedCluster(mesos, portworx);
  }

  async stop(): Promise<void> {
    await this.portworx.stop();
    await this.mesos.stop();
  }
}
