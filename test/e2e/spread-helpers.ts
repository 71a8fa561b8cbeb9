import type { Sandbox } from '../../src/sandbox/sandbox';
import { liveTasks } from './helpers-recovery';

/** The Mesos fault-domain zone of a host, as the simulator knows it. */
export function zoneOf(sb: Sandbox, hostname: string): string {
  return sb.mesos.agents().find((a) => a.hostname === hostname)!.zone;
}

/**
 * Polls the simulators every 20 ms and notes every moment two live tasks of the service ran in
 * one zone (a task on a dead host does not count: it no longer runs).
 */
export class ZoneWatch {
  private readonly seen: string[] = [];
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly sb: Sandbox,
    private readonly service: string,
  ) {
    this.timer = setInterval(() => this.check(), 20);
  }

  private check(): void {
    const live = liveTasks(this.sb.mesos.tasks(), this.sb).filter((t) => t.taskId.startsWith(`${this.service}__`));
    const byZone = new Map<string, string[]>();
    for (const t of live) {
      const zone = zoneOf(this.sb, t.hostname);
      byZone.set(zone, [...(byZone.get(zone) ?? []), `${t.taskId.split('__')[1]}@${t.hostname}`]);
    }
    for (const [zone, pods] of byZone) {
      const line = `${zone}: ${pods.sort().join(', ')}`;
      if (pods.length > 1 && !this.seen.includes(line)) this.seen.push(line);
    }
  }

  violations(): string[] {
    this.check();
    return [...this.seen];
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
