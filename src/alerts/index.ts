export {
  ALERT_STREAM,
  ALERT_SUBJECT_ROOT,
  alertDedupeKey,
  alertSubject,
  resourceToken,
  sdkAlertSchema,
  type SdkAlert,
} from './alert';
export { AlertBridge, type AlertBridgeOptions, type AlertBridgeStats } from './bridge';
export { subscribeAlerts, type AlertDelivery, type AlertSubscription, type SubscribeAlertsOptions } from './subscribe';
export { ensureAlertStream, DEFAULT_DUPLICATE_WINDOW_MS, type AlertStreamOptions } from './stream';
export { alertSourceClient, fetchAlerts, fetchClusterId } from './portworx-source';
export { AlertPublishError, AlertSourceError, AlertStreamConfigError, AlertStreamError } from './errors';
