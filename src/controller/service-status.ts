import type { ServiceStatusView } from '../api/operations';
import type { SupervisorView } from './ports/supervisor';

/** `pxfw <service> status` and the status line the CLI prints above an uninstalled service's output. */
export function serviceStatusView(service: string, supervisor: SupervisorView): ServiceStatusView {
  const state = supervisor.stateName() || 'starting';
  const ctx = supervisor.context();
  const u = ctx.uninstall;
  const uninstall = u
    ? { deleteVolumes: u.deleteVolumes, deleteSnapshots: u.deleteSnapshots, done: [...u.done], uninstalledAt: u.uninstalledAt ?? null, app: u.app ?? null }
    : null;
  const uninstalled = supervisor.is('uninstalled');
  let message: string;
  if (uninstalled && u) {
    const volumes = u.deleteVolumes ? 'volumes deleted' : 'volumes retained (a reinstall reuses them by name)';
    message = `${service} is uninstalled (since ${u.uninstalledAt ?? 'an earlier run'}; ${volumes}${u.app ? `; ${u.app}` : ''}): \`pxfw ${service} reinstall --yes\` deploys it again`;
  } else if (supervisor.is('uninstalling')) {
    message = `${service} is being uninstalled (${ctx.reason})`;
  } else if (supervisor.is('reinstalling')) {
    message = `${service} is being reinstalled`;
  } else {
    message = `${service}: ${state} (${ctx.reason})`;
  }
  return { service, state, uninstalled, message, uninstall };
}
