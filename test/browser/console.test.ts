import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { callCommand } from '../../src/api/client';
import { frameworkIn } from '../../src/controller/state-names';
import { Sandbox } from '../../src/sandbox/sandbox';
import { SHARED_NATS_URL } from '../helpers/nats-server';
import { frameworkYaml } from '../e2e/helpers';
import { ensureConsole, launchChromium, requireChromium, screenshot, simAgent } from './console-helpers';

/**
 * The operations console in a real browser (Debian's Chromium through playwright-core) on the
 * sandbox: it shows the deploy progressing, a crashed agent, the pod moved off it and the
 * recovery plan, all arriving over server-sent events with no reload. Screenshots go to
 * .test-results/screenshots/.
 */
describe('the operations console, in Chromium, on the sandbox', () => {
  let sb: Sandbox;
  let nc: NatsConnection;
  let base: string;
  let chrome: { context: BrowserContext; close: () => Promise<void> };
  let page: Page;
  let consoleFetches = 0;
  let navigations = 0;
  let deployProgress: string[] = [];

  beforeAll(async () => {
    requireChromium();
    chrome = await launchChromium();
    const spec = frameworkYaml('cassandra');
    sb = await Sandbox.start({ specYaml: spec.yaml, speed: 10, nats: SHARED_NATS_URL, http: 0 });
    base = await ensureConsole(sb);
    // The deploy is paused by an operator before the page opens, so the page sees it move.
    nc = await connect({ servers: sb.natsUrl });
    await sb.scheduler.runtime.waitForFramework((snap) => frameworkIn(snap, 'active'), 30_000);
    await callCommand(nc, sb.service, 'plan.pause', { plan: 'deploy' }, { user: 'alice' });
    page = chrome.context.pages()[0] ?? (await chrome.context.newPage());
    page.on('request', (r) => void (new URL(r.url()).pathname === '/v1/console' && consoleFetches++));
    page.on('framenavigated', (f) => void (f === page.mainFrame() && navigations++));
    // Record each deploy progress the page shows, as it shows it.
    await page.exposeFunction('noteProgress', (text: string) => void deployProgress.push(text));
    // (In the page: a string, as the tests compile without the DOM types.)
    await page.addInitScript({
      content: `new MutationObserver(() => {
        const t = document.querySelector('[data-plan="deploy"] [data-role="progress"]')?.textContent;
        if (t && t !== window.lastProgress) window.noteProgress((window.lastProgress = t));
      }).observe(document, { subtree: true, childList: true, characterData: true });`,
    });
    await page.goto(base);
  }, 90_000);

  afterAll(async () => {
    await chrome?.close();
    await nc?.close();
    await sb?.stop();
  });

  it('fails, naming the Debian package, when Chromium is missing (never skipped)', () => {
    expect(() => requireChromium('/nonexistent/chromium')).toThrow(/install the Debian package `chromium`/);
  });

  it('shows the paused deploy, then its progress live once resumed, until the service is active', async () => {
    await page.locator('[data-plan="deploy"][data-status="paused"]').waitFor({ timeout: 20_000 });
    await screenshot(page, 'console-deploy-paused');
    const before = deployProgress.at(-1);
    expect(before).toMatch(/^[0-2] of 3 steps done$/);
    await callCommand(nc, sb.service, 'plan.resume', { plan: 'deploy' }, { user: 'alice' });
    await page.locator('[data-plan="deploy"][data-status="complete"]').waitFor({ timeout: 60_000 });
    await expect.poll(() => page.locator('#fw').textContent(), { timeout: 10_000 }).toBe('active');
    expect(deployProgress.at(-1)).toBe('3 of 3 steps done');
    expect(deployProgress.length).toBeGreaterThan(1);
    expect(await page.locator('[data-pod-row] .badge').allTextContents()).toEqual(['running', 'running', 'running']);
    // The commands, with who gave them.
    await expect.poll(() => page.locator('#events [data-kind="command"]').allTextContents()).toEqual(
      expect.arrayContaining([expect.stringContaining('plan.resume by alice: ok')]),
    );
    // No machine paths anywhere on the page (the old dashboard showed `running.up`).
    expect(await page.locator('body').innerText()).not.toMatch(/running\.up|active\(|volume-provisioned/);
    await screenshot(page, 'console-deployed');
  });

  it('shows a crashed agent as failed, the pod moved to another agent, and the recovery plan live', async () => {
    const pod = 'node-0';
    const host = await page.locator(`.agent:has([data-pod="${pod}"])`).getAttribute('data-agent');
    expect(host).toBeTruthy();
    await simAgent(sb, 'crash', host!);
    const failed = page.locator(`[data-agent="${host}"]`);
    await expect.poll(() => failed.getAttribute('data-tone'), { timeout: 20_000 }).toBe('bad');
    expect(await failed.locator('[data-role="agent-status"]').textContent()).toMatch(/host down|unreachable|removed/);
    // The recovery plan shows the pod's step while it is being recovered.
    await page.locator(`[data-plan="recovery"][data-status="in progress"] [data-step="${pod}"]`).waitFor({ timeout: 20_000 });
    await screenshot(page, 'console-agent-failed');
    // The pod runs again on another agent, and the page says so.
    const moved = page.locator(`.agent:not([data-agent="${host}"]) [data-pod="${pod}"][data-tone="ok"]`);
    await moved.waitFor({ timeout: 30_000 });
    const newHost = await page.locator(`.agent:has([data-pod="${pod}"][data-tone="ok"])`).getAttribute('data-agent');
    expect(newHost).not.toBe(host);
    await page.locator('[data-plan="recovery"][data-status="complete"]').waitFor({ timeout: 20_000 });
    // The recovery is counted and charted, and the event list says what happened.
    await page.locator('[data-chart="recovery"] rect').first().waitFor({ timeout: 10_000 });
    expect(await page.locator('#events').innerText()).toMatch(new RegExp(`${pod} recovered \\(replaced on another host\\)`));
    await screenshot(page, 'console-pod-moved');
  });

  it('did all of it over server-sent events: one page load, one /v1/console read', async () => {
    expect(navigations).toBe(1);
    expect(consoleFetches).toBe(1);
    expect(Number(await page.locator('body').getAttribute('data-renders'))).toBeGreaterThan(3);
  });

  it('gives Prometheus what the page shows: the recovery, plan status, leader, connectivity, build', async () => {
    const body = await (await fetch(`${base}/metrics`)).text();
    expect(body).toMatch(/pxfw_recoveries_total\{type="replace",service="[^"]+"\} 1/);
    expect(body).toMatch(/pxfw_recovery_seconds_count\{service="[^"]+",type="replace"\} 1/);
    expect(body).toMatch(/pxfw_plan_status\{plan="deploy",status="complete",service="[^"]+"\} 1/);
    expect(body).toMatch(/pxfw_plan_status\{plan="recovery",status="complete",service="[^"]+"\} 1/);
    expect(body).toMatch(/pxfw_leader\{service="[^"]+"\} 1/);
    expect(body).toMatch(/pxfw_portworx_reachable\{service="[^"]+"\} 1/);
    expect(body).toMatch(/pxfw_agents\{status="host-down",service="[^"]+"\} 1/);
    expect(body).toMatch(/pxfw_build_info\{version="\d+\.\d+\.\d+",node="v\d+[^"]*",service="[^"]+"\} 1/);
  });
});
