/**
 * The operations console (docs/console.md): one page an operator keeps open. Plain HTML and CSS;
 * the script (console-script.ts, served at /console.js) renders `/v1/console` and then every
 * `console` server-sent event from `/v1/events?console=1`, so it updates live with no reload.
 * Every URL is relative: behind the DC/OS admin router the page lives at /service/<name>/.
 */
const STYLE = `
:root{--ok:#17803d;--warn:#9a6700;--bad:#b42318;--info:#175cd3;--muted:#667085;--line:#e4e7ec;--bg:#f8f9fb}
*{box-sizing:border-box}
body{font:14px/1.4 system-ui,-apple-system,Segoe UI,sans-serif;margin:0;color:#1d2939;background:var(--bg)}
header{display:flex;flex-wrap:wrap;align-items:center;gap:.6rem 1rem;padding:.8rem 1.4rem;background:#fff;border-bottom:1px solid var(--line);position:sticky;top:0;z-index:1}
header h1{font-size:1.2rem;margin:0}
main{display:grid;grid-template-columns:repeat(auto-fit,minmax(26rem,1fr));gap:1rem;padding:1rem 1.4rem}
section{background:#fff;border:1px solid var(--line);border-radius:8px;padding:.8rem 1rem;min-width:0}
section.wide{grid-column:1/-1}
h2{font-size:1rem;margin:0 0 .6rem}
h3{font-size:.9rem;margin:.6rem 0 .3rem;color:var(--muted);font-weight:600}
.badge{display:inline-block;padding:.05rem .5rem;border-radius:999px;font-size:.8rem;font-weight:600;border:1px solid currentColor;white-space:nowrap}
.ok{color:var(--ok)}.warn{color:var(--warn)}.bad{color:var(--bad)}.info{color:var(--info)}.muted{color:var(--muted)}
.badge.bad{background:#fef3f2}.badge.warn{background:#fffaeb}.badge.ok{background:#ecfdf3}.badge.info{background:#eff8ff}
#live{margin-left:auto;font-size:.8rem}
#banner{margin:1rem 1.4rem 0;padding:.6rem 1rem;border-radius:8px;background:#fef3f2;color:var(--bad);border:1px solid #fecdca}
.region{border-left:3px solid var(--line);padding-left:.6rem;margin-bottom:.6rem}
.zones{display:flex;flex-wrap:wrap;gap:.8rem}
.zone{flex:1;min-width:15rem}
.racks{display:flex;flex-wrap:wrap;gap:.6rem}
.rack{border:1px dashed var(--line);border-radius:6px;padding:.4rem;min-width:13rem;flex:1}
.rack>.label{font-size:.75rem;color:var(--muted)}
.agent{border:1px solid var(--line);border-radius:6px;padding:.4rem .5rem;margin-top:.4rem;background:#fff}
.agent.bad{border:2px solid var(--bad);background:repeating-linear-gradient(135deg,#fff,#fff 8px,#fef3f2 8px,#fef3f2 16px)}
.agent.warn{border:2px solid var(--warn)}
.agent .host{font-weight:600}
.pods{display:flex;flex-wrap:wrap;gap:.3rem;margin-top:.3rem}
.pod{font-size:.8rem;padding:.05rem .45rem;border-radius:4px;border:1px solid currentColor}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid var(--line);padding:.3rem .4rem;text-align:left;vertical-align:top}
th{font-size:.8rem;color:var(--muted);font-weight:600}
tr.bad td{background:#fef3f2}
.plan{margin-bottom:.8rem}
.bar{height:.5rem;background:var(--line);border-radius:4px;overflow:hidden;margin:.3rem 0}
.bar>span{display:block;height:100%;background:var(--ok)}
.steps{display:flex;flex-wrap:wrap;gap:.3rem}
.step{font-size:.8rem;padding:.05rem .45rem;border-radius:4px;border:1px solid currentColor}
.step.bad{font-weight:700}.steps.paused .step{border-style:dashed;opacity:.75}
#events{max-height:24rem;overflow:auto}
.event{display:grid;grid-template-columns:4.5rem 6rem 1fr;gap:.5rem;padding:.2rem 0;border-bottom:1px solid var(--line);align-items:start}
.event .badge{justify-self:start}
td .badge{white-space:normal;border-radius:6px}
.why{font-size:.8rem;color:var(--muted);margin-top:.2rem}
.event time{color:var(--muted);font-variant-numeric:tabular-nums}
svg{width:100%;height:auto;background:#fff}
svg text{font:11px system-ui,sans-serif;fill:#475467}
.legend span{margin-right:1rem;font-size:.8rem}
.empty{color:var(--muted);font-style:italic}
footer{padding:0 1.4rem 1rem;color:var(--muted);font-size:.8rem}footer a{color:inherit}
`;

export const CONSOLE_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>pxfw console</title>
<style>${STYLE}</style></head><body>
<header>
  <h1>pxfw · <span id="svc">…</span></h1>
  <span id="fw" class="badge muted">connecting</span>
  <span id="checks"></span>
  <span id="live" class="muted">connecting…</span>
</header>
<div id="banner" hidden></div>
<main>
  <section class="wide"><h2>Topology</h2><div id="topology"><p class="empty">loading</p></div><div id="unplaced"></div></section>
  <section><h2>Plans</h2><div id="plans"></div></section>
  <section><h2>Volumes</h2><table><thead><tr><th>volume</th><th>pod</th><th>replica holders</th><th>health</th></tr></thead><tbody id="volumes"></tbody></table></section>
  <section><h2>Recovery time</h2><div id="recovery-chart"></div></section>
  <section><h2>Updates and offers per second</h2><div id="rate-chart"></div></section>
  <section><h2>Snapshots</h2><table><thead><tr><th>name</th><th>age</th><th>volumes</th><th></th></tr></thead><tbody id="snapshots"></tbody></table></section>
  <section><h2>Events</h2><div id="events"></div></section>
  <section class="wide"><h2>Pods</h2><table><thead><tr><th>pod</th><th>state</th><th>host</th><th>why</th></tr></thead><tbody id="pods"></tbody></table></section>
</main>
<footer>live over <a href="v1/events?console=1">/v1/events</a> · state <a href="v1/console">/v1/console</a> · <a href="metrics">/metrics</a> · <a href="health">/health</a></footer>
<script src="console.js"></script>
</body></html>`;
