import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Allocator } from './allocator';
import { NOT_ACCEPTABLE, acceptsJson, withoutNulls, sendEmpty, sendText, readJsonCall } from './http-util';
import { isValidUuidBytes } from './ids';
import type { Launcher } from './launch';
import type { Master } from './master';
import { describeIssues, schedulerCallSchema, type SchedulerCall } from './schemas';
import type { SimFramework } from './state';
import type { TaskManager } from './tasks';

type HttpError = { status: number; text: string };

/**
 * `POST /api/v1/scheduler`: request checks in the order the Mesos master makes them, with its
 * plain-text messages, then dispatch. SUBSCRIBE keeps the response open as the event stream;
 * every other call answers 202 Accepted with an empty body.
 */
export class SchedulerApi {
  constructor(
    private readonly m: Master,
    private readonly tasks: TaskManager,
    private readonly allocator: Allocator,
    private readonly launcher: Launcher,
  ) {}

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') {
      sendText(res, 405, `Expecting one of { 'POST' }, but received '${req.method ?? ''}'`, { Allow: 'POST' });
      return;
    }
    const body = await readJsonCall(req, res, '(this simulator speaks application/json only)');
    if (!body) return;
    const raw = body.raw;
    this.m.opts.recorder?.mesos('scheduler', 'call', raw);
    const parsed = schedulerCallSchema.safeParse(withoutNulls(raw));
    if (!parsed.success) {
      return sendText(res, 400, `Failed to convert JSON into Call protobuf: ${describeIssues(parsed.error)}`);
    }
    const call = parsed.data;
    const invalid = validateCall(call);
    if (invalid !== undefined) return sendText(res, 400, `Failed to validate scheduler::Call: ${invalid}`);
    if (call.type === 'SUBSCRIBE') {
      if (!acceptsJson(req)) return sendText(res, 406, NOT_ACCEPTABLE);
      if (req.headers['mesos-stream-id'] !== undefined) {
        return sendText(res, 400, "Subscribe calls should not include the 'Mesos-Stream-Id' header");
      }
      this.m.subscribe(call.subscribe!.framework_info, res);
      // A framework added or re-activated is offered resources at once (Mesos addFramework / activateFramework).
      this.allocator.soon();
      return;
    }
    const found = this.framework(req, call);
    if ('status' in found) return sendText(res, found.status, found.text);
    if (call.type === 'UNKNOWN') return sendText(res, 501, 'Not Implemented');
    this.dispatch(found, call);
    sendEmpty(res, 202);
  }

  private framework(req: IncomingMessage, call: SchedulerCall): SimFramework | HttpError {
    const id = call.framework_id!.value;
    const fw = this.m.frameworks.get(id);
    if (!fw) return { status: 400, text: 'Framework cannot be found' };
    if (!fw.connected) return { status: 403, text: 'Framework is not subscribed' };
    const sid = req.headers['mesos-stream-id'];
    if (sid === undefined) {
      return { status: 400, text: "All non-subscribe calls should include the 'Mesos-Stream-Id' header" };
    }
    if (sid !== fw.streamId) {
      return {
        status: 400,
        text: `The stream ID '${String(sid)}' included in this request didn't match the stream ID currently associated with framework ID ${id}`,
      };
    }
    return fw;
  }

  private dispatch(fw: SimFramework, call: SchedulerCall): void {
    switch (call.type) {
      case 'TEARDOWN':
        return this.m.removeFramework(fw, 'TEARDOWN');
      case 'ACCEPT':
        return this.launcher.accept(fw, call.accept!);
      case 'DECLINE':
        return this.allocator.decline(fw, call.decline!.offer_ids.map((o) => o.value), call.decline!.filters?.refuse_seconds);
      case 'REVIVE':
        return this.allocator.revive(fw);
      case 'SUPPRESS':
        return this.allocator.suppress(fw);
      case 'KILL':
        return this.tasks.kill(fw, call.kill!.task_id.value, call.kill!.agent_id?.value);
      case 'ACKNOWLEDGE': {
        const a = call.acknowledge!;
        return this.tasks.acknowledge(fw, a.agent_id.value, a.task_id.value, a.uuid);
      }
      case 'RECONCILE':
        return this.tasks.reconcile(
          fw,
          call.reconcile!.tasks.map((t) => ({ taskId: t.task_id.value, agentId: t.agent_id?.value })),
        );
      case 'SHUTDOWN':
        return this.shutdownExecutor(fw, call.shutdown!.agent_id.value, call.shutdown!.executor_id.value);
      default:
        // MESSAGE, REQUEST and inverse-offer calls are accepted and have no effect here.
        this.m.log.debug({ frameworkId: fw.id, type: call.type }, 'call accepted without effect');
    }
  }

  private shutdownExecutor(fw: SimFramework, agentId: string, executorId: string): void {
    const ex = this.m.agents.get(agentId)?.executors.get(`${fw.id}/${executorId}`);
    const first = ex ? [...ex.tasks][0] : undefined;
    if (first) this.tasks.kill(fw, first.id, agentId);
  }
}

/** Field-presence checks of Mesos' scheduler::call::validate. */
function validateCall(call: SchedulerCall): string | undefined {
  if (call.type === 'SUBSCRIBE') {
    if (!call.subscribe) return "Expecting 'subscribe' to be present";
    if (call.subscribe.framework_info.id?.value !== call.framework_id?.value) {
      return "'framework_id' differs from 'subscribe.framework_info.id'";
    }
    return undefined;
  }
  if (!call.framework_id) return "Expecting 'framework_id' to be present";
  const required: Partial<Record<SchedulerCall['type'], keyof SchedulerCall>> = {
    ACCEPT: 'accept',
    DECLINE: 'decline',
    ACCEPT_INVERSE_OFFERS: 'accept_inverse_offers',
    DECLINE_INVERSE_OFFERS: 'decline_inverse_offers',
    KILL: 'kill',
    SHUTDOWN: 'shutdown',
    ACKNOWLEDGE: 'acknowledge',
    RECONCILE: 'reconcile',
    MESSAGE: 'message',
    REQUEST: 'request',
  };
  const field = required[call.type];
  if (field !== undefined && call[field] === undefined) return `Expecting '${String(field)}' to be present`;
  if (call.type === 'ACKNOWLEDGE' && !isValidUuidBytes(call.acknowledge!.uuid)) return 'Not a valid UUID';
  return undefined;
}
