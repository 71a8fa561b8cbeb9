import type { ResourceTypeName, SeverityName, SimAlert } from './types';

/**
 * Alert types the simulator raises. Portworx numbers its alert types itself; these numbers are
 * the simulator's own, the names follow the Portworx alert names.
 */
export const SimAlertType = {
  NodeStateChange: 1,
  VolumeStateChange: 2,
  VolumeOperationFailureAlarm: 3,
} as const;

export interface RaiseAlert {
  alertType: number;
  severity: SeverityName;
  resource: ResourceTypeName;
  resourceId: string;
  uniqueTag: string;
  message: string;
}

type AlertKey = Pick<RaiseAlert, 'alertType' | 'resource' | 'resourceId' | 'uniqueTag'>;

/**
 * Stored alerts, as the OpenStorage alerts manager keeps them: raising an alert that is already
 * open bumps its count and timestamp; clearing marks it cleared with a new timestamp. Every change
 * is reported to `onChange` (the NATS publisher).
 */
export class AlertStore {
  private readonly alerts: SimAlert[] = [];
  private nextId: bigint;
  private lastMs = 0;

  constructor(private readonly onChange: (alert: SimAlert) => void = () => {}) {
    // Ids stay unique across simulator restarts so a consumer never confuses two runs.
    this.nextId = BigInt(Date.now()) * 1000n;
  }

  raise(a: RaiseAlert): SimAlert {
    const now = this.now();
    const open = this.findOpen(a);
    if (open) {
      open.count += 1;
      open.timestamp = now;
      open.message = a.message;
      open.severity = a.severity;
      this.onChange(open);
      return open;
    }
    this.nextId += 1n;
    const alert: SimAlert = { ...a, id: String(this.nextId), firstSeen: now, timestamp: now, count: 1, cleared: false };
    this.alerts.push(alert);
    this.onChange(alert);
    return alert;
  }

  /** Clear the open alert with this key, if any. */
  clear(key: AlertKey): SimAlert | undefined {
    const open = this.findOpen(key);
    if (!open) return undefined;
    open.cleared = true;
    open.timestamp = this.now();
    this.onChange(open);
    return open;
  }

  list(): readonly SimAlert[] {
    return this.alerts;
  }

  private findOpen(key: AlertKey): SimAlert | undefined {
    return this.alerts.find(
      (x) =>
        !x.cleared &&
        x.alertType === key.alertType &&
        x.resource === key.resource &&
        x.resourceId === key.resourceId &&
        x.uniqueTag === key.uniqueTag,
    );
  }

  /** Strictly increasing timestamps: an alert changed twice within a millisecond is still two events. */
  private now(): Date {
    const ms = Math.max(Date.now(), this.lastMs + 1);
    this.lastMs = ms;
    return new Date(ms);
  }
}
