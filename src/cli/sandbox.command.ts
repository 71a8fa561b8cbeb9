import type { Command } from 'commander';
import { Sandbox } from '../sandbox/sandbox';
import { describeError } from '../errors';

interface SandboxFlags {
  framework: string;
  agents: string;
  racks: string;
  nats?: string;
  http?: string;
  record?: string;
  until?: string;
  speed: string;
  timeout: string;
  json?: boolean;
}

/** The console port the sandbox tries first when none is given; taken, it falls back to a free one. */
export const DEFAULT_SANDBOX_HTTP_PORT = 8080;

/** How long a stopping sandbox may take before the process exits anyway. */
const SANDBOX_STOP_GRACE_MS = 20_000;

function port(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${flag} must be a port number (0 for any free port), got '${value}'`);
  return n;
}

function positiveInt(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} must be a whole number >= 1, got '${value}'`);
  return n;
}

/** `pxfw sandbox`: simulated Mesos + Portworx, NATS and the scheduler together on this machine. */
export function registerSandbox(program: Command): void {
  program
    .command('sandbox')
    .description('run the whole product on this machine: simulated Mesos and Portworx, NATS and the scheduler')
    .option('--framework <name|file>', 'a shipped framework (cassandra, hdfs, kafka, elasticsearch) or a spec file', 'cassandra')
    .option('--agents <n>', 'simulated Mesos agents', '6')
    .option('--racks <n>', 'racks (one zone per rack)', '3')
    .option('--nats <url>', 'share this NATS server, with the service namespaced by a sandbox id [NATS_URL] (default: a nats-server of its own)', process.env.NATS_URL)
    .option('--http <port>', `scheduler HTTP port (console, /health, /metrics) [PXFW_HTTP_PORT] (default: ${DEFAULT_SANDBOX_HTTP_PORT}, or a free port if that is taken)`, process.env.PXFW_HTTP_PORT)
    .option('--record <dir>', 'record every Mesos and Portworx exchange and every transition', process.env.PXFW_RECORD_DIR)
    .option('--until <condition>', "exit once the condition holds: 'deployed'")
    .option('--speed <factor>', 'run simulated time faster', '1')
    .option('--timeout <seconds>', 'with --until: give up after this long', '300')
    .option('--json', 'print machine-readable lines')
    .action(async (flags: SandboxFlags) => {
      if (flags.until && flags.until !== 'deployed') throw new Error(`--until takes 'deployed', got '${flags.until}'`);
      const speed = Number(flags.speed);
      if (!(speed > 0)) throw new Error(`--speed must be a positive number, got '${flags.speed}'`);
      // The first SIGINT/SIGTERM stops the sandbox (bounded); a second one exits at once.
      let signalled: ((sig: string) => void) | undefined;
      const stopRequested = new Promise<string>((resolve) => (signalled = resolve));
      let signals = 0;
      const onSignal = (sig: NodeJS.Signals) => {
        signals += 1;
        if (signals === 1) return signalled!(sig);
        process.stderr.write(`pxfw: ${sig} again: exiting now\n`);
        process.exit(1);
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      // An explicit port (flag or PXFW_HTTP_PORT) that is taken is an error; the default falls back.
      const explicitHttp = flags.http !== undefined && flags.http !== '';
      const sandbox = await Sandbox.start({
        framework: flags.framework,
        agents: positiveInt(flags.agents, '--agents'),
        racks: positiveInt(flags.racks, '--racks'),
        // On a shared NATS, the service is namespaced by the sandbox id: it cannot touch a real one.
        ...(flags.nats ? { nats: flags.nats, namespace: true } : {}),
        http: explicitHttp ? port(flags.http!, '--http') : DEFAULT_SANDBOX_HTTP_PORT,
        httpFallback: !explicitHttp,
        ...(flags.record ? { record: flags.record } : {}),
        speed,
      });
      const spec = sandbox.specName;
      const svc = sandbox.service;
      const http = sandbox.scheduler.http;
      const say = (msg: string, data: Record<string, unknown> = {}) =>
        process.stdout.write(flags.json ? `${JSON.stringify({ msg, ...data })}\n` : `${msg}\n`);
      say(`sandbox up: service ${svc === spec ? svc : spec}`, {
        sandbox: sandbox.id,
        service: svc,
        mesos: sandbox.mesos.url,
        portworx: sandbox.portworx.url,
        nats: sandbox.natsUrl,
        http: http?.url,
      });
      if (svc !== spec) say(`  on the shared NATS ${sandbox.natsUrl} the service runs as ${svc} (sandbox ${sandbox.id}): its state and subjects are its own`, { service: svc });
      say(`  mesos ${sandbox.mesos.url}  portworx ${sandbox.portworx.url}  nats ${sandbox.natsUrl}`);
      if (http?.fellBackFrom !== undefined) say(`  port ${http.fellBackFrom} is taken: the console is on port ${http.port} instead`, { fellBackFrom: http.fellBackFrom, port: http.port });
      if (http) say(`  console ${http.url}/   try: pxfw ${svc} pod list --nats ${sandbox.natsUrl}`);
      const unsubscribe = sandbox.scheduler.runtime.transitions.subscribe((t) => {
        if (!flags.json) process.stdout.write(`  ${t.actor}: ${t.from} -> ${t.to}${t.reason ? `  (${t.reason})` : ''}\n`);
      });
      const stop = async () => {
        unsubscribe();
        const bounded = await Promise.race([
          sandbox.stop().then(() => true),
          new Promise<boolean>((resolve) => setTimeout(() => resolve(false), SANDBOX_STOP_GRACE_MS).unref()),
        ]);
        if (!bounded) {
          process.stderr.write(`pxfw: the sandbox did not stop within ${SANDBOX_STOP_GRACE_MS / 1000} s: exiting\n`);
          process.exit(1);
        }
      };
      if (flags.until === 'deployed') {
        try {
          const outcome = await Promise.race([
            sandbox.scheduler.waitDeployed(Number(flags.timeout) * 1000).then(() => 'deployed' as const),
            stopRequested,
          ]);
          if (outcome === 'deployed') say(`deploy plan complete for ${spec}`, { deployed: true, service: svc });
          else {
            process.stderr.write(`pxfw: stopped by ${outcome} before the deploy plan of ${spec} completed\n`);
            process.exitCode = 1;
          }
        } catch (err) {
          process.stderr.write(`pxfw: ${describeError(err)}\n`);
          process.exitCode = 1;
        } finally {
          await stop();
        }
        return;
      }
      await stopRequested;
      await stop();
    });
}
