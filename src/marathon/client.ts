import { z } from 'zod';
import { createAuthProvider, type AuthProvider, type MesosAuth } from '../mesos';
import { MarathonAuthError, MarathonRequestError, MarathonUnavailableError } from './errors';

export interface MarathonClientOptions {
  /** Marathon's REST root, e.g. http://marathon.mesos:8080 or https://<cluster>/marathon. */
  url: string;
  /** The same credentials as towards Mesos (DC/OS: the service account, through the adminrouter). */
  auth?: MesosAuth;
  timeoutMs?: number;
}

/** What DELETE /v2/apps/<id> answers: the deployment that stops the app's tasks. */
const deleteReplySchema = z.looseObject({ deploymentId: z.string().optional(), version: z.string().optional() });

export type RemoveAppResult = { outcome: 'removed'; deploymentId: string | null } | { outcome: 'absent' };

/**
 * The one Marathon call pxfw makes: remove its own app at the end of an uninstall. `force=true`
 * overrides a deployment in progress on the app (e.g. a restart of this very scheduler); Marathon
 * then kills the app's tasks, this process included.
 */
export class MarathonClient {
  private readonly auth: AuthProvider | undefined;
  private readonly timeoutMs: number;

  constructor(private readonly opts: MarathonClientOptions) {
    this.auth = opts.auth ? createAuthProvider(opts.auth) : undefined;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
  }

  async removeApp(appId: string): Promise<RemoveAppResult> {
    const id = appId.replace(/^\/+/, '');
    const url = `${this.opts.url.replace(/\/+$/, '')}/v2/apps/${id.split('/').map(encodeURIComponent).join('/')}?force=true`;
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (this.auth) headers.Authorization = await this.auth.header();
    let res: Response;
    try {
      res = await fetch(url, { method: 'DELETE', headers, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (cause) {
      throw new MarathonUnavailableError(`Marathon at ${this.opts.url} did not answer DELETE /v2/apps/${id}`, { cause });
    }
    const text = await res.text().catch(() => '');
    if (res.status === 404) return { outcome: 'absent' };
    if (res.status === 401 || res.status === 403) {
      if (res.status === 401) this.auth?.invalidate();
      throw new MarathonAuthError(res.status, `Marathon refused to remove app /${id} (HTTP ${res.status}): ${text.slice(0, 200)}`);
    }
    if (res.status >= 500 || res.status === 409) {
      throw new MarathonUnavailableError(`Marathon could not remove app /${id} now (HTTP ${res.status}): ${text.slice(0, 200)}`);
    }
    if (res.status < 200 || res.status >= 300) {
      throw new MarathonRequestError(res.status, `Marathon rejected DELETE /v2/apps/${id} (HTTP ${res.status}): ${text.slice(0, 200)}`);
    }
    let body: unknown = {};
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      body = {};
    }
    const reply = deleteReplySchema.safeParse(body);
    return { outcome: 'removed', deploymentId: reply.success ? (reply.data.deploymentId ?? null) : null };
  }
}
