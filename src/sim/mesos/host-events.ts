import type { Master } from './master';

const NOTIFY_TIMEOUT_MS = 5_000;

/**
 * Tell the rest of the simulated world that a host died or came back: `options.hostEvents`
 * (the sandbox wires it to the Portworx simulator) and, when `options.portworxUrl` is set, a
 * `pxfw sim portworx` through its control route `POST /sim/v1/hosts/<hostname>/crash|boot`.
 * Best effort: a failure is logged and never reaches the caller.
 */
export function notifyHost(m: Master, hostname: string, what: 'crash' | 'boot'): void {
  try {
    if (what === 'crash') m.opts.hostEvents?.down(hostname);
    else m.opts.hostEvents?.up(hostname);
  } catch (err) {
    m.log.warn({ err, hostname, what }, 'host event handler failed');
  }
  const base = m.opts.portworxUrl;
  if (base === undefined) return;
  const url = new URL(`sim/v1/hosts/${encodeURIComponent(hostname)}/${what}`, base.endsWith('/') ? base : `${base}/`);
  fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: '{}',
    signal: AbortSignal.timeout(NOTIFY_TIMEOUT_MS),
  })
    .then(async (res) => {
      if (!res.ok) m.log.warn({ url: url.href, status: res.status, body: (await res.text()).slice(0, 200) }, 'Portworx simulator refused the host event');
      else await res.arrayBuffer();
    })
    .catch((err: unknown) => m.log.warn({ err, url: url.href }, 'could not tell the Portworx simulator about the host'));
}
