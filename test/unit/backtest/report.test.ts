/** The HTML report: self-contained, data well-formed for the chart library, client script runs. */
import * as vm from 'node:vm';
import { runBacktest } from '../../../lib/backtest/engine';
import { chartData, renderReport } from '../../../lib/backtest/report';
import { computeStats } from '../../../lib/backtest/stats';
import { createStrategy } from '../../../lib/strategies/registry';
import { loadChartLibrary } from '../../../cli/report-assets';
import { GOOG } from './helpers';

function report(maxPoints?: number) {
  const bars = GOOG();
  const { strategy, params } = createStrategy('sma-cross', { fast: 10, slow: 30 });
  const result = runBacktest(bars, strategy, { cash: 10_000, finalizeTrades: true });
  const stats = computeStats({ t: bars.t, close: bars.c, equity: result.equity, trades: result.trades, warmupBars: result.warmupBars });
  const html = renderReport({ bars, result, stats, strategy: 'sma-cross', params, settings: { cash: 10_000 }, chartLibrary: loadChartLibrary(), maxPoints });
  return { bars, result, html };
}

const scripts = (html: string): string[] => [...html.matchAll(/<script[^>]*>([\s\S]*?)<\/script>/g)].map((m) => m[1]);

describe('HTML report', () => {
  const { bars, result, html } = report();

  it('is self-contained: the chart library is inlined and nothing is fetched', () => {
    expect(html).toContain('TradingView Lightweight Charts');
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(html).not.toMatch(/<link[^>]+href=/);
    expect(html).not.toMatch(/(src|href)="https?:/);
  });

  it('carries candles, equity, drawdown, markers, statistics and every trade', () => {
    const data = JSON.parse(scripts(html)[0]);
    expect(data.time).toHaveLength(bars.length);
    for (let k = 1; k < data.time.length; k++) expect(data.time[k]).toBeGreaterThan(data.time[k - 1]);
    expect(data.equity[bars.length - 1]).toBeCloseTo(51422.99, 2);
    expect(Math.min(...data.drawdown)).toBeCloseTo(-47.98, 2);
    expect(data.markers).toHaveLength(2 * result.trades.length);
    for (let k = 1; k < data.markers.length; k++) expect(data.markers[k].time).toBeGreaterThanOrEqual(data.markers[k - 1].time);
    expect(data.indicators.map((x: { name: string }) => x.name)).toEqual(['SMA(10)', 'SMA(30)']);
    expect(html).toMatch(/<td># Trades<\/td><td>66<\/td>/);
    expect((html.match(/<tr class="(win|loss)?">/g) ?? []).length).toBe(66);
  });

  it('its client script builds three synchronised charts with the library API', () => {
    const calls: string[] = [];
    const series = (kind: string) => ({ setData: (d: unknown[]) => calls.push(`${kind}:${d.length}`) });
    const chart = () => ({
      addSeries: (kind: string) => series(kind),
      timeScale: () => ({ subscribeVisibleLogicalRangeChange: () => undefined, setVisibleLogicalRange: () => undefined, fitContent: () => calls.push('fit') }),
    });
    const [dataJson, , client] = scripts(html);
    const LC = {
      CandlestickSeries: 'candles', LineSeries: 'line', AreaSeries: 'area',
      createChart: () => { calls.push('chart'); return chart(); },
      createSeriesMarkers: (_s: unknown, m: unknown[]) => calls.push(`markers:${m.length}`),
    };
    const document = { getElementById: (id: string) => (id === 'plan2-data' ? { textContent: dataJson } : {}) };
    vm.runInNewContext(client, { window: { LightweightCharts: LC }, document });
    expect(calls).toEqual(['chart', 'chart', 'chart', `candles:${bars.length}`, 'line:2139', 'line:2119', 'markers:132', `line:${bars.length}`, `area:${bars.length}`, 'fit']);
  });

  it('buckets long series for the charts', () => {
    const small = report(500);
    const data = JSON.parse(scripts(small.html)[0]);
    expect(data.step).toBe(5);
    expect(data.time).toHaveLength(Math.ceil(bars.length / 5));
    expect(data.h[0]).toBe(Math.max(...bars.h.subarray(0, 5)));
    expect(data.c[0]).toBe(bars.c[4]);
    expect(small.html).toMatch(/Charts show 430 candles of 5 bars/);
  });

  it('chartData keeps times increasing for sub-second bars', () => {
    const t = Float64Array.from([1000, 1200, 1400, 2100]);
    const one = Float64Array.from([1, 1, 1, 1]);
    const d = chartData({ length: 4, t, o: one, h: one, l: one, c: one, v: one }, { equity: one, trades: [], openTrades: [], indicators: [], warmupBars: 0, startBar: 1, finalCash: 1, outOfMoney: false, warnings: [] }, 100);
    expect(d.time).toEqual([1, 2, 3, 4]);
  });
});
