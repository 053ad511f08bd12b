/**
 * The backtest HTML report in a real browser, offline: written by the CLI, opened
 * from disk in headless Chromium with every network request blocked; the charts
 * must draw and the page must raise no error.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { main } from '../../cli/plan2';
import { SHARED_DATA_DIR } from '../../paths';

const CHROMIUM = '/usr/bin/chromium';

describe('backtest report in Chromium', () => {
  let browser: Browser;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plan2-report-'));
  const file = path.join(dir, 'report.html');

  beforeAll(async () => {
    if (!fs.existsSync(CHROMIUM)) throw new Error(`browser tests need Debian's chromium at ${CHROMIUM} (apt-get install chromium)`);
    const out = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const err = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const csv = path.join(SHARED_DATA_DIR, 'backtesting.py', 'GOOG.csv');
      expect(await main(['backtest', '--csv', csv, '--strategy', 'sma-cross', '--params', 'fast=10,slow=30', '--finalize-trades', '--html', file])).toBe(0);
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  it('draws candles, equity and drawdown with no network and no errors', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('file:')) return route.continue();
      requests.push(url);
      return route.abort();
    });
    await page.goto('file://' + file);
    await page.waitForFunction(() => document.querySelectorAll('#price canvas').length > 0, undefined, { timeout: 15_000 });
    const info = await page.evaluate(() => ({
      charts: ['price', 'equity', 'drawdown'].map((id) => (document.getElementById(id) as HTMLElement).querySelectorAll('canvas').length),
      heights: ['price', 'equity', 'drawdown'].map((id) => (document.getElementById(id) as HTMLElement).getBoundingClientRect().height),
      trades: document.querySelectorAll('tbody tr.win, tbody tr.loss').length,
    }));
    expect(problems).toEqual([]);
    expect(requests).toEqual([]);
    expect(info.charts.every((n) => n > 0)).toBe(true);
    expect(info.heights).toEqual([420, 200, 150]);
    expect(info.trades).toBe(66);
    // Something was actually painted on the price chart: not a blank canvas.
    const png = await page.locator('#price').screenshot();
    expect(png.length).toBeGreaterThan(10_000);
    await page.close();
  }, 60_000);
});
