import { checkError } from './task-checks';
import type { Allocator } from './allocator';
import type { Master } from './master';
import { addRes, containsRes, emptyRes, formatRes, resFromWire, subtractRes, type Res } from './resources';
import type { ExecutorInfoIn, Operation, SchedulerCall, TaskInfoIn } from './schemas';
import type { Json, SimAgent, SimFramework, SimOffer, SimTask } from './state';
import type { LaunchSpec, TaskManager } from './tasks';
import { bareStatus } from './wire';

const MIN_CPUS = 0.01;
const MIN_MEM = 32;

type Accept = NonNullable<SchedulerCall['accept']>;

/**
 * ACCEPT: validate the offers, then each LAUNCH / LAUNCH_GROUP operation against what remains of
 * them, the way the Mesos master does. Invalid offers drop every task (TASK_DROPPED, or TASK_LOST
 * for frameworks that are not partition-aware); an invalid task or group gives TASK_ERROR.
 */
export class Launcher {
  constructor(
    private readonly m: Master,
    private readonly tasks: TaskManager,
    private readonly allocator: Allocator,
  ) {}

  accept(fw: SimFramework, accept: Accept): void {
    const offerIds = accept.offer_ids.map((o) => o.value);
    const offers: SimOffer[] = [];
    const error = this.validateOffers(fw, offerIds, offers);
    for (const o of offers) this.m.removeOffer(o, false);
    if (error !== undefined) {
      this.dropAll(fw, accept.operations, `Task launched with invalid offers: ${error}`);
      return;
    }
    const agent = this.m.agents.get(offers[0]!.agentId)!;
    let available = offers.reduce<Res>((acc, o) => addRes(acc, o.resources), emptyRes());
    const seen = new Set<string>();
    for (const op of accept.operations) {
      if (op.type === 'LAUNCH' && op.launch) {
        for (const info of op.launch.task_infos) available = this.launchOne(fw, agent, info, available, seen);
      } else if (op.type === 'LAUNCH_GROUP' && op.launch_group) {
        available = this.launchGroup(fw, agent, op.launch_group, available, seen);
      } else {
        this.m.log.warn({ frameworkId: fw.id, type: op.type }, 'offer operation not supported by the simulator; skipped');
      }
    }
    this.allocator.addFilter(fw, agent.id, available, accept.filters?.refuse_seconds);
  }

  private validateOffers(fw: SimFramework, ids: string[], out: SimOffer[]): string | undefined {
    if (ids.length === 0) return 'No offers specified';
    const seen = new Set<string>();
    let error: string | undefined;
    for (const id of ids) {
      if (seen.has(id)) {
        error ??= `Duplicate offer ${id} in offer list`;
        continue;
      }
      seen.add(id);
      const offer = this.m.offers.get(id);
      if (!offer) {
        error ??= `Offer ${id} is no longer valid`;
        continue;
      }
      if (offer.frameworkId !== fw.id) {
        error ??= `Offer ${id} has invalid framework ${offer.frameworkId} while framework ${fw.id} is expected`;
        continue;
      }
      const first = out[0];
      if (first && first.agentId !== offer.agentId) {
        error ??= `Aggregated offers must belong to one single agent. Offer ${id} uses agent ${offer.agentId} and agent ${first.agentId}`;
      }
      out.push(offer);
    }
    return error;
  }

  private dropAll(fw: SimFramework, operations: Operation[], message: string): void {
    const state = fw.partitionAware ? 'TASK_DROPPED' : 'TASK_LOST';
    for (const op of operations) {
      const infos = op.type === 'LAUNCH' ? op.launch?.task_infos ?? [] : op.type === 'LAUNCH_GROUP' ? op.launch_group?.task_group.tasks ?? [] : [];
      for (const t of infos) this.m.sendUpdate(fw, bareStatus(t.task_id.value, t.agent_id.value, state, 'REASON_INVALID_OFFERS', message));
    }
  }

  private launchOne(fw: SimFramework, agent: SimAgent, info: TaskInfoIn, available: Res, seen: Set<string>): Res {
    const fail = (msg: string): Res => {
      this.m.sendUpdate(fw, bareStatus(info.task_id.value, info.agent_id.value, 'TASK_ERROR', 'REASON_TASK_INVALID', msg));
      return available;
    };
    const taskRes = this.validateTask(fw, agent, info, seen);
    if (typeof taskRes === 'string') return fail(taskRes);
    if ((info.executor !== undefined) === (info.command !== undefined)) {
      return fail('Task should have at least one (but not both) of CommandInfo or ExecutorInfo present');
    }
    let total = taskRes;
    let executor: LaunchSpec['executor'];
    if (info.executor) {
      if (info.executor.type !== undefined && info.executor.type !== 'CUSTOM') return fail("'ExecutorInfo.type' must be 'CUSTOM'");
      if (!info.executor.command) return fail("'ExecutorInfo.command' must be set");
      const exRes = resFromWire(info.executor.resources);
      if (typeof exRes === 'string') return fail(`Executor uses invalid resources: ${exRes}`);
      executor = { id: info.executor.executor_id.value, info: this.executorWire(fw, info.executor), resources: exRes };
      if (!agent.executors.has(`${fw.id}/${executor.id}`)) total = addRes(total, exRes);
    }
    if (!containsRes(available, total)) {
      return fail(`Total resources ${formatRes(total)} required by task and its executor is more than available ${formatRes(available)}`);
    }
    seen.add(info.task_id.value);
    this.tasks.launch(fw, agent, { info: info as LaunchSpec['info'], resources: taskRes, resourcesWire: info.resources, executor });
    return subtractRes(available, total);
  }

  private launchGroup(
    fw: SimFramework,
    agent: SimAgent,
    lg: NonNullable<Operation['launch_group']>,
    available: Res,
    seen: Set<string>,
  ): Res {
    const infos = lg.task_group.tasks;
    const fail = (msg: string): Res => {
      for (const t of infos) {
        this.m.sendUpdate(fw, bareStatus(t.task_id.value, t.agent_id.value, 'TASK_ERROR', 'REASON_TASK_GROUP_INVALID', msg));
      }
      return available;
    };
    const taskRes: Res[] = [];
    const groupSeen = new Set(seen);
    for (const info of infos) {
      const r = this.validateTask(fw, agent, info, groupSeen);
      if (typeof r === 'string') return fail(`Task '${info.task_id.value}' is invalid: ${r}`);
      if (info.container?.type === 'DOCKER') return fail(`Task '${info.task_id.value}' is invalid: Docker ContainerInfo is not supported on the task`);
      groupSeen.add(info.task_id.value);
      taskRes.push(r);
    }
    const exRes = this.validateGroupExecutor(lg.executor);
    if (typeof exRes === 'string') return fail(exRes);
    const exId = lg.executor.executor_id.value;
    let total = taskRes.reduce<Res>((acc, r) => addRes(acc, r), emptyRes());
    if (!agent.executors.has(`${fw.id}/${exId}`)) total = addRes(total, exRes);
    if (!containsRes(available, total)) {
      return fail(`Total resources ${formatRes(total)} required by task group and its executor are more than available ${formatRes(available)}`);
    }
    const executor = { id: exId, info: this.executorWire(fw, lg.executor), resources: exRes };
    const group: SimTask[] = [];
    infos.forEach((info, i) => {
      seen.add(info.task_id.value);
      const withExecutor = { ...info, executor: executor.info } as LaunchSpec['info'];
      this.tasks.launch(fw, agent, { info: withExecutor, resources: taskRes[i]!, resourcesWire: info.resources, executor }, group);
    });
    return subtractRes(available, total);
  }

  /** Checks common to LAUNCH and LAUNCH_GROUP tasks; returns the task's resources or an error. */
  private validateTask(fw: SimFramework, agent: SimAgent, info: TaskInfoIn, seen: Set<string>): Res | string {
    const id = info.task_id.value;
    if (id.includes('/') || id === '.' || id === '..' || /[\0\s]/.test(id)) return `'${id}' contains invalid characters`;
    if (fw.tasks.has(id) || seen.has(id)) return `Task has duplicate ID: ${id}`;
    if (info.agent_id.value !== agent.id) return `Task uses invalid agent ${info.agent_id.value} while agent ${agent.id} is expected`;
    const checkProblem = checkError(info);
    if (checkProblem !== undefined) return checkProblem;
    if (info.resources.length === 0) return 'Task uses no resources';
    const res = resFromWire(info.resources);
    if (typeof res === 'string') return `Task uses invalid resources: ${res}`;
    return res;
  }

  /** The LAUNCH_GROUP executor: type DEFAULT (no command, MESOS container), ≥ 0.01 cpus, ≥ 32 MB, some disk. */
  private validateGroupExecutor(ex: ExecutorInfoIn): Res | string {
    const name = ex.executor_id.value;
    if (ex.type === undefined) return "'ExecutorInfo.type' must be set";
    if (ex.type === 'UNKNOWN') return 'Unknown executor type';
    if (ex.type === 'DEFAULT' && ex.command) return "'ExecutorInfo.command' must not be set for 'DEFAULT' executor";
    if (ex.type === 'DEFAULT' && ex.container?.type !== undefined && ex.container.type !== 'MESOS') {
      return "'ExecutorInfo.container.type' must be 'MESOS' for 'DEFAULT' executor";
    }
    if (ex.type === 'CUSTOM' && !ex.command) return "'ExecutorInfo.command' must be set for 'CUSTOM' executor";
    const res = resFromWire(ex.resources);
    if (typeof res === 'string') return `Executor uses invalid resources: ${res}`;
    const cpus = res.scalars.cpus;
    if (cpus === undefined || cpus < MIN_CPUS) {
      return `Executor '${name}' uses less CPUs (${cpus ?? 'None'}) than the minimum required (${MIN_CPUS})`;
    }
    const mem = res.scalars.mem;
    if (mem === undefined || mem < MIN_MEM) {
      return `Executor '${name}' uses less memory (${mem === undefined ? 'None' : `${mem}MB`}) than the minimum required (${MIN_MEM}MB)`;
    }
    if (res.scalars.disk === undefined) return `Executor '${name}' uses no disk`;
    return res;
  }

  /** The master fills in ExecutorInfo.framework_id for executors used in launches. */
  private executorWire(fw: SimFramework, ex: ExecutorInfoIn): Json {
    return { ...ex, framework_id: { value: fw.id } };
  }
}
