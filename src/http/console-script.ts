/**
 * The console page's script (served at /console.js). It renders one console state (see
 * console-state.ts) into the page; the first from `/v1/console`, every later one from the
 * `console` server-sent event: no polling, no reload. Written without backticks (it lives in a
 * template string).
 */
export const CONSOLE_SCRIPT = String.raw`'use strict';
const $ = (id) => document.getElementById(id);
const esc = (s) => String(s == null ? '' : s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
const badge = (x, extra) => '<span class="badge ' + esc(x.tone) + '"' + (extra || '') + '>' + esc(x.text) + '</span>';
const clock = (iso) => new Date(iso).toLocaleTimeString([], { hour12: false });

function renderHeader(s) {
  $('svc').textContent = s.service;
  const fw = $('fw');
  fw.className = 'badge ' + s.framework.tone;
  fw.textContent = s.framework.text + (s.framework.leading ? '' : ' (not leading)');
  fw.dataset.state = s.framework.text;
  $('checks').innerHTML = s.checks.map((c) => badge({ tone: c.tone, text: c.name + ' ' + c.text }, ' data-check="' + esc(c.name) + '"')).join(' ');
  const banner = $('banner');
  const uninstalled = s.framework.text === 'uninstalled';
  const problems = uninstalled ? [] : s.reasons;
  banner.hidden = !uninstalled && problems.length === 0;
  banner.innerHTML = uninstalled
    ? '<b>' + esc(s.service) + ' is uninstalled</b>: it runs nothing until <code>pxfw ' + esc(s.service) + ' reinstall --yes</code>'
    : problems.map(esc).join('<br>');
}

function podChip(p) {
  return '<span class="pod ' + esc(p.tone) + '" data-pod="' + esc(p.name) + '" data-tone="' + esc(p.tone) + '" title="' + esc(p.text) + '">' + esc(p.name) + ' · ' + esc(p.text) + '</span>';
}

function renderTopology(s) {
  const agent = (a) =>
    '<div class="agent ' + esc(a.tone) + '" data-agent="' + esc(a.hostname) + '" data-tone="' + esc(a.tone) + '">' +
    '<span class="host">' + esc(a.hostname) + '</span> ' + badge(a, ' data-role="agent-status"') +
    '<div class="pods">' + (a.pods.length ? a.pods.map(podChip).join('') : '<span class="empty">no pods</span>') + '</div></div>';
  const rack = (r) => '<div class="rack"><div class="label">rack ' + esc(r.name) + '</div>' + r.agents.map(agent).join('') + '</div>';
  const zone = (z) => '<div class="zone"><h3>zone ' + esc(z.name) + '</h3><div class="racks">' + z.racks.map(rack).join('') + '</div></div>';
  const region = (r) => '<div class="region"><h3>region ' + esc(r.name) + '</h3><div class="zones">' + r.zones.map(zone).join('') + '</div></div>';
  $('topology').innerHTML = s.topology.length ? s.topology.map(region).join('') : '<p class="empty">no agents known yet</p>';
  $('unplaced').innerHTML = s.unplaced.length ? '<h3>not on an agent</h3><div class="pods" data-role="unplaced">' + s.unplaced.map(podChip).join('') + '</div>' : '';
}

function renderPlans(s) {
  const step = (st) => '<span class="step ' + esc(st.tone) + '" data-step="' + esc(st.name) + '" title="' + esc(st.message || st.text) + '">' + esc(st.name) + ': ' + esc(st.text) + '</span>';
  // Why a step that is not done waits: the scheduler's own message (e.g. on probation: the host is down).
  const why = (st) => (st.tone !== 'ok' && st.message ? '<div class="why">' + esc(st.name) + ': ' + esc(st.message) + '</div>' : '');
  const phase = (ph, paused) =>
    '<div data-phase="' + esc(ph.name) + '"><h3>' + esc(ph.name) + ' ' + badge(ph) + '</h3><div class="steps' + (paused ? ' paused' : '') + '">' +
    ph.steps.map(step).join('') + '</div>' + ph.steps.map(why).join('') + '</div>';
  const plan = (p) => {
    const pct = p.total ? Math.round((100 * p.done) / p.total) : 100;
    return '<div class="plan" data-plan="' + esc(p.name) + '" data-status="' + esc(p.text) + '"><b>' + esc(p.name) + '</b> ' + badge(p) +
      (p.paused && p.text !== 'paused' ? ' <span class="badge warn">paused</span>' : '') +
      ' <span class="progress" data-role="progress">' + (p.total ? p.done + ' of ' + p.total + ' steps done' : 'nothing to do') + '</span>' +
      (p.total ? '<div class="bar"><span style="width:' + pct + '%"></span></div>' : '') +
      p.phases.filter((ph) => ph.steps.length > 0).map((ph) => phase(ph, ph.paused)).join('') +
      p.errors.map((e) => '<div class="bad">' + esc(e) + '</div>').join('') + '</div>';
  };
  $('plans').innerHTML = s.plans.map(plan).join('') || '<p class="empty">no plans</p>';
}

function renderTables(s) {
  $('volumes').innerHTML = s.volumes.map((v) =>
    '<tr class="' + (v.degraded ? 'bad' : '') + '" data-volume="' + esc(v.name) + '"><td>' + esc(v.name) + '</td><td>' + esc(v.pod) + '</td><td>' +
    (v.holders.length ? v.holders.map((h) => badge({ tone: h.tone, text: h.host + ' ' + h.text })).join(' ') : '<span class="empty">none known</span>') +
    '</td><td>' + badge(v) + '</td></tr>').join('') || '<tr><td colspan="4" class="empty">no volumes</td></tr>';
  $('snapshots').innerHTML = s.snapshots.map((x) =>
    '<tr><td>' + esc(x.name) + '</td><td title="' + esc(x.createdAt) + '">' + esc(x.age) + ' ago</td><td>' + x.volumes + '</td><td class="bad">' + esc(x.problem || '') + '</td></tr>').join('') ||
    '<tr><td colspan="4" class="empty">no snapshots</td></tr>';
  $('pods').innerHTML = s.pods.map((p) =>
    '<tr data-pod-row="' + esc(p.name) + '"><td>' + esc(p.name) + '</td><td>' + badge(p) + '</td><td>' + esc(p.hostname || '') + '</td><td>' + esc(p.reason || '') + '</td></tr>').join('') ||
    '<tr><td colspan="4" class="empty">no pods</td></tr>';
  $('events').innerHTML = s.events.slice().reverse().map((e) =>
    '<div class="event" data-kind="' + esc(e.kind) + '"><time>' + esc(clock(e.ts)) + '</time><span class="badge ' + esc(e.tone) + '">' + esc(e.kind) + '</span><span>' + esc(e.text) + '</span></div>').join('') ||
    '<p class="empty">nothing happened yet</p>';
}

/** Recovery time: one bar per completed recovery (seconds), newest right; open ones as a note. */
function renderRecoveryChart(s) {
  const rs = s.charts.recoveries.slice(-30);
  const open = s.charts.recovering.map((r) => esc(r.pod) + ' (' + Math.round((Date.parse(s.at) - r.startedAt) / 1000) + ' s so far)');
  if (!rs.length) {
    $('recovery-chart').innerHTML = '<p class="empty">no recovery this session</p>' + (open.length ? '<p class="warn">recovering: ' + open.join(', ') + '</p>' : '');
    return;
  }
  const W = 480, H = 160, L = 36, B = 28, max = Math.max(1, ...rs.map((r) => r.seconds));
  const bw = Math.min(48, (W - L) / rs.length);
  const bars = rs.map((r, i) => {
    const h = ((H - B - 10) * r.seconds) / max;
    const x = L + i * bw + 2, y = H - B - h;
    return '<rect x="' + x.toFixed(1) + '" y="' + y.toFixed(1) + '" width="' + Math.max(2, bw - 4).toFixed(1) + '" height="' + h.toFixed(1) + '" fill="' + (r.type === 'replace' ? '#b54708' : '#175cd3') + '"><title>' + esc(r.pod) + ': ' + r.seconds.toFixed(1) + ' s (' + esc(r.type) + ')</title></rect>' +
      '<text x="' + (x + bw / 2 - 2).toFixed(1) + '" y="' + (H - B + 12) + '" text-anchor="middle">' + esc(r.pod) + '</text>';
  }).join('');
  $('recovery-chart').innerHTML = '<svg viewBox="0 0 ' + W + ' ' + H + '" data-chart="recovery"><text x="2" y="12">' + max.toFixed(1) + ' s</text><line x1="' + L + '" y1="' + (H - B) + '" x2="' + W + '" y2="' + (H - B) + '" stroke="#d0d5dd"/>' + bars + '</svg>' +
    '<div class="legend"><span style="color:#175cd3">■ relaunch / host returned</span><span style="color:#b54708">■ replace</span></div>' + (open.length ? '<p class="warn">recovering: ' + open.join(', ') + '</p>' : '');
}

const SERIES = [['updates', '#175cd3', 'status updates'], ['offers', '#17803d', 'offers'], ['changes', '#b54708', 'state changes']];

/** Rates over the session: one line per series, per second. */
function renderRateChart(s) {
  const pts = s.charts.rates;
  if (pts.length < 2) {
    $('rate-chart').innerHTML = '<p class="empty">collecting…</p>';
    return;
  }
  const W = 480, H = 160, L = 36, B = 18, t0 = pts[0].t, t1 = pts[pts.length - 1].t;
  const max = Math.max(1, ...pts.flatMap((p) => SERIES.map(([k]) => p.rates[k] || 0)));
  const x = (t) => L + ((W - L - 4) * (t - t0)) / Math.max(1, t1 - t0);
  const y = (v) => H - B - ((H - B - 10) * v) / max;
  const lines = SERIES.map(([k, colour]) => '<polyline fill="none" stroke="' + colour + '" stroke-width="1.5" points="' + pts.map((p) => x(p.t).toFixed(1) + ',' + y(p.rates[k] || 0).toFixed(1)).join(' ') + '"/>').join('');
  const mins = Math.max(1, Math.round((t1 - t0) / 60000));
  $('rate-chart').innerHTML = '<svg viewBox="0 0 ' + W + ' ' + H + '" data-chart="rates"><text x="2" y="12">' + max.toFixed(1) + '/s</text><text x="' + L + '" y="' + (H - 4) + '">last ' + mins + ' min</text>' +
    '<line x1="' + L + '" y1="' + (H - B) + '" x2="' + W + '" y2="' + (H - B) + '" stroke="#d0d5dd"/>' + lines + '</svg>' +
    '<div class="legend">' + SERIES.map(([k, c, label]) => '<span style="color:' + c + '">■ ' + label + ' ' + (pts[pts.length - 1].rates[k] || 0).toFixed(1) + '/s</span>').join('') + '</div>';
}

let renders = 0;
function render(s) {
  renderHeader(s);
  renderTopology(s);
  renderPlans(s);
  renderTables(s);
  renderRecoveryChart(s);
  renderRateChart(s);
  renders += 1;
  document.body.dataset.renders = String(renders);
  document.body.dataset.updated = s.at;
}

function connect() {
  const es = new EventSource('v1/events?console=1');
  es.addEventListener('open', () => { $('live').textContent = 'live'; $('live').className = 'ok'; });
  es.addEventListener('error', () => { $('live').textContent = 'reconnecting…'; $('live').className = 'warn'; });
  es.addEventListener('console', (e) => render(JSON.parse(e.data)));
}

// A scheduler that serves no console state (an older wiring) says so instead of hanging on "loading".
fetch('v1/console')
  .then((r) => (r.ok ? r.json().then(render) : r.json().then((b) => { $('topology').innerHTML = '<p class="bad">' + esc(b.error || r.status) + '</p>'; })))
  .catch(() => undefined)
  .finally(connect);
`;
