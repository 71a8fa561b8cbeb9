import { launchGroupOperation, MesosSchedulerClient, type TaskStatus } from '../../src/mesos';
import type { TaskTarget } from '../../src/controller/task-commands';
import { Recorder } from '../../src/record/recorder';
import { MesosSimulator } from '../../src/sim/mesos';
import { SchedulerEventLog, TempDirs } from '../integration/helpers/mesos-event-log';

/** 20× faster than real time: a simulated command runs 25 ms, a task starts in 25 ms. */
export const SPEED = 20;
const ROLE = 'pxfw';

/**
 * A simulated Mesos cluster recording its wire traffic, the real scheduler client subscribed to
 * it (acknowledging every update), and helpers to launch task groups and find their containers.
 */
export class AgentApiCluster {
  private constructor(
    readonly sim: MesosSimulator,
    readonly client: MesosSchedulerClient,
    readonly log: SchedulerEventLog,
    private readonly dirs: TempDirs,
    /** Where the simulator records its scheduler and operator traffic (mesos.jsonl). */
    readonly recordDir: string,
  ) {}

  static async start(opts: { agents?: number } = {}): Promise<AgentApiCluster> {
    const dirs = new TempDirs();
    const dir = dirs.make('agent-api');
    const sim = await MesosSimulator.start({ agents: opts.agents ?? 2, racks: 2, speed: SPEED, recorder: Recorder.toDir(dir) });
    const client = new MesosSchedulerClient({
      master: sim.url,
      framework: { name: 'pxfw-agent-api', roles: [ROLE], principal: 'pxfw', failoverTimeoutSeconds: 3600 },
      backoff: { initialMs: 20, maxMs: 100 },
    });
    const log = new SchedulerEventLog(client, { autoAck: true });
    client.start();
    await log.waitFor((e) => e.type === 'SUBSCRIBED');
    return new AgentApiCluster(sim, client, log, dirs, dir);
  }

  /** Launch `taskIds` as one task group (DEFAULT executor) on the next offer; resolves with their RUNNING updates. */
  async launchGroup(taskIds: string[], agentId?: string): Promise<TaskStatus[]> {
    const offer = await this.log.takeOffer((o) => agentId === undefined || o.agent_id.value === agentId);
    const op = launchGroupOperation({
      offer,
      frameworkId: this.client.frameworkId!,
      role: ROLE,
      executorId: `exec-${taskIds[0]}`,
      tasks: taskIds.map((taskId) => ({ taskId, name: taskId, cpus: 0.5, mem: 256, command: 'sleep 3600', volumes: [] })),
    });
    await this.client.accept([offer.id.value], [op], { refuse_seconds: 0 });
    return Promise.all(taskIds.map((id) => this.log.waitForUpdate(id, 'TASK_RUNNING')));
  }

  /** What the snapshot code builds from a task's latest status: where to run a command. */
  target(status: TaskStatus): TaskTarget {
    const containerId = status.container_status?.container_id;
    if (!containerId) throw new Error(`status of ${status.task_id.value} carries no container_status.container_id`);
    const agentId = status.agent_id!.value;
    const hostname = this.sim.agents().find((a) => a.id === agentId)!.hostname;
    return { taskId: status.task_id.value, agentId, hostname, containerId: containerId as TaskTarget['containerId'] };
  }

  /** The sandbox wiring: the simulator serves every agent's API on its own port. */
  agentUrl = (t: { agentId: string; hostname: string }): string => `${this.sim.url}/agents/${t.agentId}`;

  async stop(): Promise<void> {
    this.log.close();
    await this.client.stop();
    await this.sim.stop();
    this.dirs.cleanup();
  }
}
