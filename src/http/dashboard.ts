/** A one-page dashboard: pods, plans and the live transition log, fed by /v1/state and /v1/events. */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>pxfw</title>
<style>
body{font:14px system-ui,sans-serif;margin:1.5rem;color:#222}
h1{font-size:1.3rem}h2{font-size:1.05rem;margin-top:1.5rem}
table{border-collapse:collapse;min-width:40rem}td,th{border-bottom:1px solid #ddd;padding:.25rem .6rem;text-align:left}
.ok{color:#17803d}.bad{color:#b42318}
.running{color:#17803d}.failed,.re-attaching{color:#b42318}.pending,.placed,.volume-provisioned{color:#9a6700}
#log{font:12px ui-monospace,monospace;max-height:22rem;overflow:auto;background:#f6f8fa;padding:.5rem}
</style></head><body>
<h1>pxfw · <span id="svc">…</span> <small id="fw"></small></h1>
<div id="uninstalled" class="bad" hidden></div>
<div id="health"></div>
<h2>Plans</h2><div id="plans"></div>
<h2>Pods</h2><table><thead><tr><th>pod</th><th>state</th><th>host</th><th>task</th><th>volumes</th><th>reason</th></tr></thead><tbody id="pods"></tbody></table>
<h2>Transitions</h2><div id="log"></div>
<script>
const esc = (s) => String(s ?? '').replace(/[&<>"]/g, (c) => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c]));
async function refreshHealth() {
  const h = await (await fetch('/health')).json();
  const checks = Object.entries(h.checks || {});
  document.getElementById('health').innerHTML = (h.healthy ? '<b class="ok">healthy</b>' : '<b class="bad">cannot act</b>') +
    checks.map(([name, c]) => ' · <span class="' + (c.ok ? 'ok' : 'bad') + '">' + esc(name) + (c.ok ? ' ok' : ' not ok') + '</span>').join('') +
    ((h.details && h.details.reasons) || []).map((r) => '<div class="bad">' + esc(r) + '</div>').join('');
}
async function refresh() {
  refreshHealth().catch(() => undefined);
  const s = await (await fetch('/v1/state')).json();
  document.getElementById('svc').textContent = s.service;
  document.getElementById('fw').textContent = (s.framework && s.framework.state) || '';
  // The tombstone: say plainly that the service is uninstalled and how to deploy it again.
  const un = document.getElementById('uninstalled');
  un.hidden = !(s.framework && s.framework.state === 'uninstalled');
  un.innerHTML = un.hidden ? '' : '<b>' + esc(s.service) + ' is uninstalled</b>: it deploys nothing until <code>pxfw ' + esc(s.service) + ' reinstall --yes</code>';
  document.getElementById('plans').innerHTML = (s.plans || []).map((p) =>
    '<div><b>' + esc(p.name) + '</b> ' + esc(p.status) + ' — ' + (p.phases || []).map((ph) => esc(ph.name) + ': ' + esc(ph.status)).join(', ') + '</div>').join('');
  document.getElementById('pods').innerHTML = (s.pods || []).map((p) =>
    '<tr><td>' + esc(p.name) + '</td><td class="' + esc(p.state) + '">' + esc(p.state) + '</td><td>' + esc(p.hostname) +
    '</td><td>' + esc(p.taskId) + '</td><td>' + esc((p.volumes || []).map((v) => v.name).join(' ')) + '</td><td>' + esc(p.reason) + '</td></tr>').join('');
}
const log = document.getElementById('log');
function addTransition(t) {
  const line = document.createElement('div');
  line.textContent = t.ts + '  ' + t.actor + '  ' + t.from + ' → ' + t.to + '  (' + t.event + ')' + (t.reason ? '  ' + t.reason : '');
  log.prepend(line);
}
// The latest transitions come with the state; later ones arrive as server-sent events.
fetch('/v1/state').then((r) => r.json()).then((s) => (s.transitions || []).forEach(addTransition));
const es = new EventSource('/v1/events');
es.addEventListener('transition', (e) => {
  addTransition(JSON.parse(e.data));
  refresh();
});
refresh(); setInterval(refresh, 5000);
</script></body></html>`;
