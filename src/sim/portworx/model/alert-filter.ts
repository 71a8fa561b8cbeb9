import { SEVERITY_TYPES } from '../wire/enums';
import type { AlertsQuery } from '../wire/requests';
import type { SimAlert } from './types';

type Opt = NonNullable<AlertsQuery['opts']>[number];

/**
 * The alerts matching any query (queries are OR-ed, each query's options AND-ed), as the
 * OpenStorage alerts server filters them. A query naming no query type matches nothing.
 */
export function filterAlerts(alerts: readonly SimAlert[], queries: readonly AlertsQuery[]): SimAlert[] {
  return alerts.filter((a) => queries.some((q) => matchesQuery(a, q)));
}

function matchesQuery(a: SimAlert, q: AlertsQuery): boolean {
  let base: boolean;
  if (q.resource_type_query) {
    base = a.resource === (q.resource_type_query.resource_type ?? 'RESOURCE_TYPE_NONE');
  } else if (q.alert_type_query) {
    const t = q.alert_type_query;
    base = a.alertType === (t.alert_type ?? 0) && a.resource === (t.resource_type ?? 'RESOURCE_TYPE_NONE');
  } else if (q.resource_id_query) {
    const t = q.resource_id_query;
    base =
      a.resourceId === (t.resource_id ?? '') &&
      a.alertType === (t.alert_type ?? 0) &&
      a.resource === (t.resource_type ?? 'RESOURCE_TYPE_NONE');
  } else {
    return false;
  }
  return base && (q.opts ?? []).every((o) => matchesOption(a, o));
}

function matchesOption(a: SimAlert, o: Opt): boolean {
  if (o.min_severity_type && o.min_severity_type !== 'SEVERITY_TYPE_NONE') {
    // ALARM (1) is the most severe; "at least WARNING" keeps ALARM and WARNING.
    if (SEVERITY_TYPES.indexOf(a.severity) > SEVERITY_TYPES.indexOf(o.min_severity_type)) return false;
  }
  if (o.is_cleared !== undefined && a.cleared !== o.is_cleared) return false;
  if (o.time_span) {
    const t = a.timestamp.getTime();
    if (o.time_span.start_time && t < Date.parse(o.time_span.start_time)) return false;
    if (o.time_span.end_time && t > Date.parse(o.time_span.end_time)) return false;
  }
  if (o.count_span) {
    if (o.count_span.min_count !== undefined && a.count < o.count_span.min_count) return false;
    if (o.count_span.max_count !== undefined && a.count > o.count_span.max_count) return false;
  }
  return true;
}
