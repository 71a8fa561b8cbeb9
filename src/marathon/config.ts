import { z } from 'zod';
import { ValidationError } from '../errors';

/**
 * Where the scheduler's own Marathon app lives, so that uninstall can remove it as
 * `dcos package uninstall` expects. `url` is Marathon's REST root (on DC/OS the adminrouter's
 * `/marathon`); `appId` and `appVersion` are what Marathon puts in every task's environment
 * (MARATHON_APP_ID, MARATHON_APP_VERSION; mesosphere/marathon TaskBuilder).
 */
export interface MarathonSettings {
  url: string;
  appId: string | null;
  appVersion: string | null;
}

const settingsSchema = z.object({
  url: z.url({ error: '--marathon must be a URL such as https://leader.mesos/marathon' }),
  appId: z
    .string()
    .regex(/^\/?[a-z0-9.-]+(\/[a-z0-9.-]+)*$/, { error: 'MARATHON_APP_ID must be a Marathon app id such as /cassandra' })
    .nullable(),
  appVersion: z.string().min(1).nullable(),
});

/** `--marathon URL` (or PXFW_MARATHON_URL) with the app id and version from Marathon's task environment; undefined without a URL. */
export function resolveMarathonSettings(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): MarathonSettings | undefined {
  const url = flag ?? env.PXFW_MARATHON_URL;
  if (url === undefined || url === '') return undefined;
  const parsed = settingsSchema.safeParse({
    url,
    appId: env.MARATHON_APP_ID || null,
    appVersion: env.MARATHON_APP_VERSION || null,
  });
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    throw new ValidationError(issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues);
  }
  return parsed.data;
}

