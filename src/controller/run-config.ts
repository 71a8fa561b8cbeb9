import { z } from 'zod';
import { ValidationError } from '../errors';

/** `pxfw run` settings: flags first, then their environment twins (DESIGN.md "Command line"). */
export const runConfigSchema = z.object({
  spec: z.string({ error: 'missing --spec FILE (or PXFW_SPEC)' }).min(1, 'missing --spec FILE (or PXFW_SPEC)'),
  mesos: z.url({ error: '--mesos must be a URL such as http://leader.mesos:5050' }),
  portworx: z.url({ error: '--portworx must be a URL such as http://portworx-api:9021' }),
  portworxLegacy: z.url({ error: '--portworx-legacy must be a URL such as http://portworx-api:9001' }).optional(),
  nats: z.string().min(1).default('nats://127.0.0.1:4222'),
  httpPort: z.coerce.number().int().min(0).max(65535).default(8080),
  record: z.string().min(1).optional(),
  instance: z.string().min(1).optional(),
});

export type RunConfig = z.output<typeof runConfigSchema> & { portworxLegacy: string };

export interface RunFlags {
  spec?: string;
  mesos?: string;
  portworx?: string;
  portworxLegacy?: string;
  nats?: string;
  http?: string | number;
  record?: string;
}

/** Default legacy REST endpoint: the SDK host on port 9001. */
export function defaultLegacyUrl(sdkUrl: string): string {
  const u = new URL(sdkUrl);
  u.port = '9001';
  return u.origin;
}

export function resolveRunConfig(flags: RunFlags, env: NodeJS.ProcessEnv = process.env): RunConfig {
  const raw = {
    spec: flags.spec ?? env.PXFW_SPEC,
    mesos: flags.mesos ?? env.PXFW_MESOS_URL ?? 'http://leader.mesos:5050',
    portworx: flags.portworx ?? env.PXFW_PORTWORX_URL ?? 'http://portworx-api.kube-system:9021',
    portworxLegacy: flags.portworxLegacy ?? env.PXFW_PORTWORX_LEGACY_URL,
    nats: flags.nats ?? env.NATS_URL,
    httpPort: flags.http ?? env.PXFW_HTTP_PORT ?? env.PORT0,
    record: flags.record ?? env.PXFW_RECORD_DIR,
    instance: env.MESOS_TASK_ID ?? env.HOSTNAME,
  };
  const parsed = runConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    throw new ValidationError(issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues);
  }
  return { ...parsed.data, portworxLegacy: parsed.data.portworxLegacy ?? defaultLegacyUrl(parsed.data.portworx) };
}
