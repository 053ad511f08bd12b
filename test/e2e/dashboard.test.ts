/**
 * The dashboard in real Chromium against the whole platform in-process (every
 * service, real PostgreSQL, the api on a free port): sign in with a tenant's key,
 * candles drawn and growing as ticks arrive over the real ingest path and `/ws`,
 * timeframe switch, the Agents page with a decision's vote breakdown, Trading,
 * FlowChain and Plan. A screenshot of each page goes to test/artifacts/; the
 * browser must log no error at all.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { setConfig } from '../../config';
import { getMigratedDb } from '../../lib/storage/connect';
import { ROOT } from '../../paths';
import { startPlatform, type Platform } from '../../runner';
import { createApiKey, createTenant } from '../../services/users/tenants';
import type { Tick } from '../../types/market';
import { createTestDatabase, TestDatabase, testConfig } from '../helpers/infra';
import { http } from '../helpers/http';
import { groupBy, leanTicks } from '../helpers/lean';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.join(ROOT, 'test', 'artifacts');
const SOURCE = 'e2e:1@Lean';

const buildWeb = () => execFileSync(process.execPath, [path.join(ROOT, 'web', 'build.js')], { stdio: 'pipe' });

describe('dashboard in Chromium', () => {
  let tdb: TestDatabase;
  let platform: Platform;
  let browser: Browser;
  let page: Page;
  let base: string;
  let key: string;
  let tenantId: string;
  const problems: string[] = [];
  const day = leanTicks();
  const t0 = day[0].time_msc;
  /** Ticks of the day's first `min` minutes after `from` minutes. */
  const minutes = (from: number, to: number): Tick[] => day.filter((t) => t.time_msc >= t0 + from * 60_000 && t.time_msc < t0 + to * 60_000);
  const ingest = async (ticks: Tick[]) => {
    for (let i = 0; i < ticks.length; i += 2000) await platform.broker.call('market-data.ingest', { source: SOURCE, ticks: ticks.slice(i, i + 2000) });
  };
  const shot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, `dashboard-${name}.png`), fullPage: true });

  beforeAll(async () => {
    if (!fs.existsSync(CHROMIUM)) throw new Error(`browser tests need Debian's chromium at ${CHROMIUM} (apt-get install chromium)`);
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    buildWeb();
    tdb = await createTestDatabase('e2e_web');
    const cfg = setConfig(testConfig({ DATABASE_URL: tdb.url, LOG_LEVEL: 'error' }));
    platform = await startPlatform(cfg);
    const db = await getMigratedDb(cfg);
    const tenant = await createTenant(db, 'E2E Trader', 'pro');
    tenantId = tenant.id;
    key = (await createApiKey(db, tenant.id, 'e2e')).key;
    if (platform.services.includes('consensus')) {
      await platform.broker.call('consensus.watchlistSeed', { tenantId: tenant.id, items: [{ symbol: 'EURUSD', tf: 'M1' }] });
    }
    await ingest(minutes(0, 30));
    const addr = await platform.broker.call<{ port: number }, object>('api.address', {});
    base = `http://127.0.0.1:${addr.port}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console.${m.type()}: ${m.text()}`);
    });
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
    page.on('request', (r) => {
      if (!r.url().startsWith(base) && !r.url().startsWith('ws://127.0.0.1') && !r.url().startsWith('data:')) problems.push(`external request: ${r.url()}`);
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await platform?.stop();
    await tdb?.drop();
  }, 60_000);

  it('signs in with the API key and draws the candles', async () => {
    await page.goto(base + '/');
    await page.fill('#api-key', key);
    await page.click('#signin');
    await page.waitForFunction(() => Number(document.getElementById('chart')?.dataset.bars) > 0 && document.documentElement.dataset.chartRendered);
    const expected = groupBy(minutes(0, 30), 60_000);
    const chart = await page.$eval('#chart', (el) => ({ ...(el as HTMLElement).dataset, canvases: el.querySelectorAll('canvas').length }));
    expect(chart).toMatchObject({ symbol: 'EURUSD', tf: 'M1', bars: String(expected.length), lastTime: String(expected[expected.length - 1].t) });
    expect(chart.canvases).toBeGreaterThan(0);
    expect(await page.evaluate(() => localStorage.getItem('plan2.key'))).toBe(key);
    await page.waitForSelector('#ws-state[data-state="open"]');
    await shot('market');
  }, 60_000);

  it('updates live: new ticks move the forming bar and open a new candle', async () => {
    const before = Number(await page.$eval('#chart', (el) => (el as HTMLElement).dataset.lastTime));
    const more = minutes(30, 33);
    await ingest(more);
    const last = groupBy(more, 60_000).pop()!;
    await page.waitForFunction((t) => document.getElementById('chart')?.dataset.lastTime === String(t), last.t, { timeout: 10_000 });
    expect(last.t).toBeGreaterThan(before);
    expect(Number(await page.$eval('#chart', (el) => (el as HTMLElement).dataset.bars))).toBe(groupBy(minutes(0, 33), 60_000).length);
    await expect(page.textContent('#quote')).resolves.toContain(more[more.length - 1].bid.toFixed(5));
  }, 30_000);

  it('switches the timeframe', async () => {
    await page.click('button[data-tf="M5"]');
    const expected = groupBy(minutes(0, 33), 300_000);
    await page.waitForFunction((n) => {
      const d = document.getElementById('chart')?.dataset;
      return d?.tf === 'M5' && d.bars === String(n);
    }, expected.length);
    expect(await page.$eval('#chart', (el) => (el as HTMLElement).dataset.lastTime)).toBe(String(expected[expected.length - 1].t));
    expect(await page.$eval('button[data-tf="M5"]', (el) => el.classList.contains('on'))).toBe(true);
    await page.waitForFunction(() => document.getElementById('chart')?.dataset.indicators === 'bb,ema,rsi,macd');
    await page.click('button[data-ind="rsi"]');
    await page.waitForFunction(() => document.getElementById('chart')?.dataset.indicators === 'bb,ema,macd');
    expect(await page.$eval('button[data-ind="rsi"]', (el) => el.classList.contains('on'))).toBe(false);
    await shot('market-m5');
    await page.click('button[data-ind="rsi"]');
    await page.waitForFunction(() => document.getElementById('chart')?.dataset.indicators === 'bb,ema,rsi,macd');
    await page.click('button[data-tf="M1"]');
    await page.waitForFunction(() => document.getElementById('chart')?.dataset.tf === 'M1');
  }, 30_000);

  it('shows the agents and a decision\u2019s vote breakdown', async () => {
    await page.click('nav a[data-route="agents"]');
    await page.waitForSelector('main[data-page="agents"][data-state]');
    if (!platform.services.includes('consensus')) {
      expect(await page.getAttribute('main', 'data-state')).toBe('unavailable');
      await expect(page.textContent('#agents')).resolves.toContain('not available on this server yet');
      await shot('agents');
      return;
    }
    const agents = await platform.broker.call<{ items: { id: string; group: string }[] }, object>('consensus.agentsList', {}, { meta: { tenantId: tenantId, tier: 'pro', role: 'tenant' } });
    await page.waitForFunction((n) => document.querySelectorAll('#agents .agent[data-agent]').length === n, agents.items.length);
    for (const g of ['research', 'decision', 'learning', 'monitoring']) {
      expect(await page.$$eval(`#agents [data-group="${g}"] .agent[data-agent]`, (els) => els.length)).toBe(agents.items.filter((a) => a.group === g).length);
    }
    await page.waitForSelector('#decisions tbody tr[data-id]');
    const id = await page.getAttribute('#decisions tbody tr[data-id]', 'data-id');
    await page.click(`#decisions tbody tr[data-id="${id}"]`);
    await page.waitForSelector('#vote-breakdown .fusions .bar-row');
    const d = await platform.broker.call<{ opinions: unknown[]; fusions: { method: string }[]; method: string }, { id: string }>('consensus.get', { id: id! }, { meta: { tenantId, tier: 'pro', role: 'tenant' } });
    expect(await page.$$eval('#vote-breakdown .opinions .bar-row', (els) => els.length)).toBe(d.opinions.length);
    expect(await page.$$eval('#vote-breakdown .fusions .bar-row', (els) => els.map((e) => (e as HTMLElement).dataset.method))).toEqual(d.fusions.map((f) => f.method));
    expect(await page.getAttribute('#vote-breakdown .fusion.acting', 'data-method')).toBe(d.method);
    expect(page.url()).toContain(`#/agents/${id}`);
    await shot('agents');
  }, 30_000);

  it('shows trading: positions, orders, fills and the risk report', async () => {
    await page.click('nav a[data-route="trading"]');
    await page.waitForSelector('main[data-page="trading"][data-state="ready"]');
    for (const s of ['positions', 'orders', 'fills', 'risk']) {
      expect(await page.getAttribute(`#trading-${s}`, 'data-state')).toBe(platform.services.includes(s === 'risk' ? 'risk' : 'trading') ? 'ready' : 'unavailable');
    }
    await shot('trading');
  }, 30_000);

  it('shows an order, its fill and the position as they happen', async () => {
    if (!platform.services.includes('risk')) return;
    // A fresh quote (the replayed day is years old; risk refuses stale prices).
    const now = Date.now();
    await ingest([{ symbol: 'EURUSD', time_msc: now, bid: 1.1, ask: 1.1001 }]);
    expect(await page.getAttribute('main', 'data-page')).toBe('trading');
    const r = await http(base, 'POST', '/api/v1/orders', { key, body: { symbol: 'EURUSD', side: 'buy', volume: 0.1 }, headers: { 'idempotency-key': 'e2e-1' } });
    expect(r.status).toBe(201);
    // No reload: the page follows the orders and positions topics over /ws.
    await page.waitForSelector('#trading-fills tbody tr', { timeout: 10_000 });
    await page.waitForSelector('#trading-positions tbody tr');
    await expect(page.textContent('#trading-orders tbody')).resolves.toContain('filled');
    await expect(page.textContent('#trading-positions tbody')).resolves.toContain('EURUSD');
    await expect(page.textContent('#trading-risk')).resolves.toContain('Gross exposure');
    await shot('trading-live');
  }, 30_000);

  it('shows the FlowChain page with its chains', async () => {
    await page.click('nav a[data-route="flowchain"]');
    await page.waitForSelector('main[data-page="flowchain"][data-state]');
    if (!platform.services.includes('flowchain')) {
      await expect(page.textContent('#chains')).resolves.toContain('not available on this server yet');
    } else {
      const chains = await page.$$eval('#chains .chain', (els) => els.map((e) => (e as HTMLElement).dataset.chain));
      expect(chains).toEqual(expect.arrayContaining(['MT5_To_Database', 'AI_Decision', 'User_Workflow']));
      // The list re-renders as FlowChain pushes updates: click by selector (found again if the
      // link was replaced), not through a handle that may have been detached.
      if (await page.$('#chains a[data-trace]')) {
        await page.click('#chains a[data-trace]');
        await page.waitForSelector('#execution .tree .node');
      }
    }
    await shot('flowchain');
  }, 30_000);

  it('shows the plan with locked features visible', async () => {
    await page.click('nav a[data-route="plan"]');
    await page.waitForSelector('main[data-page="plan"][data-state="ready"]');
    const feats = await page.$$eval('#features li', (els) => els.map((e) => [(e as HTMLElement).dataset.feature, e.className]));
    expect(feats).toContainEqual(['flowchain', 'unlocked']);
    expect(feats).toContainEqual(['neural_ensemble', 'locked']);
    await shot('plan');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.click('nav a[data-route="market"]');
    await page.waitForFunction(() => Number(document.getElementById('chart')?.dataset.bars) > 0);
    await shot('market-mobile');
    await page.setViewportSize({ width: 1280, height: 900 });
  }, 30_000);

  it('signs in from the link plan2 start prints (#key=…) and drops the key from the address', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const p = await ctx.newPage();
    p.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console.error (link sign-in): ${m.text()}`);
    });
    await p.goto(`${base}/#key=${encodeURIComponent(key)}`);
    await p.waitForFunction(() => Number(document.getElementById('chart')?.dataset.bars) > 0);
    expect(new URL(p.url()).hash).toBe('#/market');
    expect(await p.evaluate(() => localStorage.getItem('plan2.key'))).toBe(key);
    await p.click('#signout');
    await p.waitForSelector('#api-key');
    expect(await p.evaluate(() => localStorage.getItem('plan2.key'))).toBeNull();
    await ctx.close();
  }, 30_000);

  it('logged nothing on the console', () => {
    expect(problems).toEqual([]);
  });
});
