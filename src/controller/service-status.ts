import type { ServiceStatusView } from '../api/operations';
import type { Runtime } from './runtime';

/** `pxfw <service> status` and the status line the CLI prints above an uninstalled service's output. */
export function serviceStatusView(rt: Runtime): ServiceStatusView {
  const state = rt.frameworkStateName || 'starting';
  const ctx = rt.frameworkContext;
  const u = ctx.uninstall;
  const uninstall = u
    ? { deleteVolumes: u.deleteVolumes, deleteSnapshots: u.deleteSnapshots, done: [...u.done], uninstalledAt: u.uninstalledAt ?? null, app: u.app ?? null }
    : null;
  const uninstalled = state === 'uninstalled';
  let message: string;
  if (uninstalled && u) {
    const volumes = u.deleteVolumes ? 'volumes deleted' : 'volumes retained (a reinstall reuses them by name)';
    message = `${rt.service} is uninstalled (since ${u.uninstalledAt ?? 'an earlier run'}; ${volumes}${u.app ? `; ${u.app}` : ''}): \`pxfw ${rt.service} reinstall --yes\` deploys it again`;
  } else if (state.startsWith('uninstalling')) {
    message = `${rt.service} is being uninstalled (${ctx.reason})`;
  } else if (state === 'reinstalling') {
    message = `${rt.service} is being reinstalled`;
  } else {
    message = `${rt.service}: ${state} (${ctx.reason})`;
  }
  return { service: rt.service, state, uninstalled, message, uninstall };
}
