/**
 * Self-contained HTML report of a backtest: candles with trade markers and
 * overlay indicators, equity and drawdown curves, the statistics table and the
 * trade list. Pure: the charting library's source (lightweight-charts'
 * standalone build) is passed in and inlined, so the file needs no network at
 * view time. Long series are bucketed to at most `maxPoints` candles for the
 * charts (the tables always use the full-resolution results).
 */
import { formatDuration, statsRows } from './format';
import type { BacktestStats } from './stats';
import type { BacktestResult, BarSeries, ClosedTrade } from './types';

export interface ReportInput {
  bars: BarSeries;
  result: BacktestResult;
  stats: BacktestStats;
  strategy: string;
  params: Record<string, number | string>;
  settings: object;
  /** Source of lightweight-charts.standalone.production.js. */
  chartLibrary: string;
  title?: string;
  /** Extra HTML sections placed after the statistics (e.g. an optimisation heat map). */
  extraHtml?: string;
  maxPoints?: number;
  maxTradeRows?: number;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch] as string);
}

/** JSON safe to embed inside a <script> element. */
export function scriptJson(x: unknown): string {
  return JSON.stringify(x).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

const round = (x: number, d = 6): number | null => (Number.isFinite(x) ? Number(x.toPrecision(d + 4)) : null);

interface ChartData {
  step: number;
  time: number[];
  o: (number | null)[];
  h: (number | null)[];
  l: (number | null)[];
  c: (number | null)[];
  equity: (number | null)[];
  drawdown: (number | null)[];
  indicators: { name: string; values: (number | null)[] }[];
  markers: { time: number; long: boolean; entry: boolean; text: string }[];
}

/** Bucket bars into at most `maxPoints` candles (OHLC aggregated; equity last; drawdown deepest). */
export function chartData(bars: BarSeries, result: BacktestResult, maxPoints: number): ChartData {
  const n = bars.length;
  const step = Math.max(1, Math.ceil(n / maxPoints));
  const m = Math.ceil(n / step);
  const out: ChartData = { step, time: [], o: [], h: [], l: [], c: [], equity: [], drawdown: [], indicators: [], markers: [] };
  const eq = result.equity;
  let peak = -Infinity;
  const overlays = result.indicators.filter((x) => x.overlay);
  for (const ind of overlays) out.indicators.push({ name: ind.name, values: [] });
  for (let b = 0; b < m; b++) {
    const a = b * step;
    const z = Math.min(n, a + step);
    let hi = -Infinity;
    let lo = Infinity;
    let worst = 0;
    for (let k = a; k < z; k++) {
      if (bars.h[k] > hi) hi = bars.h[k];
      if (bars.l[k] < lo) lo = bars.l[k];
      if (eq[k] > peak) peak = eq[k];
      const dd = peak > 0 ? eq[k] / peak - 1 : 0;
      if (dd < worst) worst = dd;
    }
    // Chart times are whole seconds and must increase: sub-second bars are nudged apart.
    const sec = Math.floor(bars.t[a] / 1000);
    out.time.push(b > 0 && sec <= out.time[b - 1] ? out.time[b - 1] + 1 : sec);
    out.o.push(round(bars.o[a]));
    out.h.push(round(hi));
    out.l.push(round(lo));
    out.c.push(round(bars.c[z - 1]));
    out.equity.push(round(eq[z - 1]));
    out.drawdown.push(round(worst * 100, 4));
    overlays.forEach((ind, j) => out.indicators[j].values.push(round(ind.values[z - 1])));
  }
  const limit = 5000; // markers beyond this are left out of the chart (the table has them)
  const mark = (t: ClosedTrade, closed: boolean): void => {
    const long = t.size > 0;
    out.markers.push({ time: out.time[Math.floor(t.entryBar / step)], long, entry: true, text: `${long ? 'Buy' : 'Sell'} ${Math.abs(t.size)}` });
    if (closed) out.markers.push({ time: out.time[Math.floor(t.exitBar / step)], long, entry: false, text: result.trades.length <= 200 ? `${(t.ret * 100).toFixed(2)}%` : '' });
  };
  result.trades.slice(0, limit).forEach((t) => mark(t, true));
  result.openTrades.slice(0, limit).forEach((t) => mark(t, false));
  out.markers.sort((x, y) => x.time - y.time);
  return out;
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace(/:00\.000Z$|\.000Z$/, '').replace(/ 00:00$/, '');
}

function tradeRows(trades: ClosedTrade[], max: number): string {
  const rows = trades.slice(0, max).map((t, k) => {
    const cls = t.pnl > 0 ? 'win' : t.pnl < 0 ? 'loss' : '';
    return `<tr class="${cls}"><td>${k + 1}</td><td>${t.size}</td><td>${iso(t.entryTime)}</td><td>${iso(t.exitTime)}</td><td>${t.entryBar}</td><td>${t.exitBar}</td><td>${round(t.entryPrice)}</td><td>${round(t.exitPrice)}</td><td>${t.pnl.toFixed(2)}</td><td>${(t.ret * 100).toFixed(2)}</td><td>${escapeHtml(formatDuration(t.exitTime - t.entryTime))}</td></tr>`;
  });
  return rows.join('\n');
}

const CSS = `
:root{--fg:#1d2330;--muted:#6b7280;--bg:#fff;--line:#e5e7eb;--win:#0a7d47;--loss:#b42318}
*{box-sizing:border-box}body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:var(--fg);background:var(--bg);margin:0;padding:20px 28px}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px}.sub{color:var(--muted);margin:0 0 16px}
.chart{width:100%;border:1px solid var(--line);border-radius:6px;margin-bottom:8px}#price{height:420px}#equity{height:200px}#drawdown{height:150px}
.grid{display:grid;grid-template-columns:minmax(280px,420px) 1fr;gap:24px;align-items:start}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}td,th{padding:3px 8px;border-bottom:1px solid var(--line);text-align:right;white-space:nowrap}
th{background:#f8fafc;position:sticky;top:0}td:first-child,th:first-child{text-align:left}
.stats td:last-child{font-weight:600}.win td:nth-child(9),.win td:nth-child(10){color:var(--win)}.loss td:nth-child(9),.loss td:nth-child(10){color:var(--loss)}
.scroll{max-height:520px;overflow:auto;border:1px solid var(--line);border-radius:6px}.note{color:var(--muted);font-size:12px}
.heat td{text-align:center;font-size:12px;min-width:44px}.heat th{font-size:12px}
`;

const CLIENT = `
(function(){
  var LC = window.LightweightCharts, d = JSON.parse(document.getElementById('plan2-data').textContent);
  function mk(id){ var el = document.getElementById(id); return LC.createChart(el, {autoSize: true, layout:{attributionLogo:false}, timeScale:{timeVisible: d.intraday, secondsVisible:false}, rightPriceScale:{borderVisible:false, minimumWidth: 90}}); }
  function pts(vals){ var out=[]; for (var k=0;k<d.time.length;k++){ if (vals[k]!==null) out.push({time:d.time[k], value:vals[k]}); } return out; }
  var price = mk('price'), eq = mk('equity'), dd = mk('drawdown');
  var candles = [];
  for (var k=0;k<d.time.length;k++) candles.push({time:d.time[k], open:d.o[k], high:d.h[k], low:d.l[k], close:d.c[k]});
  var cs = price.addSeries(LC.CandlestickSeries, {upColor:'#26a69a', downColor:'#ef5350', borderVisible:false, wickUpColor:'#26a69a', wickDownColor:'#ef5350'});
  cs.setData(candles);
  var colors = ['#2962ff','#ff6d00','#8e24aa','#00897b','#c0ca33'];
  d.indicators.forEach(function(ind, j){ price.addSeries(LC.LineSeries, {color: colors[j % colors.length], lineWidth: 1, title: ind.name, priceLineVisible:false, lastValueVisible:false}).setData(pts(ind.values)); });
  LC.createSeriesMarkers(cs, d.markers.map(function(m){
    return m.entry ? {time:m.time, position: m.long ? 'belowBar' : 'aboveBar', color: m.long ? '#0a7d47' : '#b42318', shape: m.long ? 'arrowUp' : 'arrowDown', text: m.text}
                   : {time:m.time, position: m.long ? 'aboveBar' : 'belowBar', color: '#374151', shape: 'circle', text: m.text};
  }));
  eq.addSeries(LC.LineSeries, {color:'#2962ff', lineWidth: 2, title:'Equity'}).setData(pts(d.equity));
  dd.addSeries(LC.AreaSeries, {lineColor:'#b42318', topColor:'rgba(180,35,24,0.05)', bottomColor:'rgba(180,35,24,0.35)', lineWidth:1, title:'Drawdown %', invertFilledArea:true}).setData(pts(d.drawdown));
  var charts = [price, eq, dd], busy = false;
  charts.forEach(function(c){ c.timeScale().subscribeVisibleLogicalRangeChange(function(r){ if (busy || !r) return; busy = true; charts.forEach(function(o){ if (o!==c) o.timeScale().setVisibleLogicalRange(r); }); busy = false; }); });
  price.timeScale().fitContent();
})();
`;

/** The report as one HTML document. */
export function renderReport(input: ReportInput): string {
  const { bars, result, stats } = input;
  const data = chartData(bars, result, input.maxPoints ?? 20_000);
  const payload = { ...data, intraday: stats.periodMs < 86_400_000 };
  const params = Object.entries(input.params).map(([k, v]) => `${k}=${v}`).join(', ');
  const title = input.title ?? `${input.strategy}(${params})${bars.symbol ? ' on ' + bars.symbol : ''}`;
  const settings = Object.entries(input.settings)
    .filter(([, v]) => typeof v !== 'function' && v !== undefined)
    .map(([k, v]) => `${k}: ${JSON.stringify(v)}`)
    .join(' · ');
  const statsHtml = statsRows(stats)
    .map(([k, v]) => `<tr><td>${escapeHtml(k)}</td><td>${escapeHtml(v)}</td></tr>`)
    .join('\n');
  const note = data.step > 1 ? `<p class="note">Charts show ${data.time.length} candles of ${data.step} bars each (${bars.length} bars in total).</p>` : '';
  const maxRows = input.maxTradeRows ?? 2000;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title><style>${CSS}</style></head>
<body>
<h1>${escapeHtml(title)}</h1>
<p class="sub">${escapeHtml(iso(stats.start))} → ${escapeHtml(iso(stats.end))} · ${bars.length} bars · ${escapeHtml(settings)}</p>
<div id="price" class="chart"></div>
<div id="equity" class="chart"></div>
<div id="drawdown" class="chart"></div>
${note}
<div class="grid">
<div><h2>Statistics</h2><table class="stats"><tbody>
${statsHtml}
</tbody></table></div>
<div><h2>Trades (${result.trades.length} closed${result.openTrades.length ? `, ${result.openTrades.length} open at the end` : ''})</h2>
<div class="scroll"><table><thead><tr><th>#</th><th>Size</th><th>Entry time</th><th>Exit time</th><th>Entry bar</th><th>Exit bar</th><th>Entry</th><th>Exit</th><th>P&amp;L</th><th>Return %</th><th>Duration</th></tr></thead><tbody>
${tradeRows(result.trades, maxRows)}
</tbody></table></div>
${result.trades.length > maxRows ? `<p class="note">First ${maxRows} of ${result.trades.length} trades shown; the JSON output has all of them.</p>` : ''}</div>
</div>
${input.extraHtml ?? ''}
<script id="plan2-data" type="application/json">${scriptJson(payload)}</script>
<script>${input.chartLibrary.replace(/<\/script/gi, '<\\/script')}</script>
<script>${CLIENT}</script>
</body></html>
`;
}

/**
 * Heat map of optimisation scores as an HTML table: rows are the values of the
 * first parameter, columns those of the second; with more parameters each cell
 * shows the best score over the others (backtesting.py's `plot_heatmaps`
 * default). One parameter gives a single row. NaN cells are blank.
 */
export function renderHeatmap(results: { params: Record<string, number>; score: number }[], maximize: string): string {
  if (!results.length) return '';
  const names = Object.keys(results[0].params).filter((n) => new Set(results.map((r) => r.params[n])).size > 1);
  const [rowName, colName] = names.length >= 2 ? names : [undefined, names[0] ?? Object.keys(results[0].params)[0]];
  const rowsV = rowName ? [...new Set(results.map((r) => r.params[rowName]))].sort((a, b) => a - b) : [NaN];
  const colsV = [...new Set(results.map((r) => r.params[colName]))].sort((a, b) => a - b);
  const cell = new Map<string, number>();
  for (const r of results) {
    if (r.score !== r.score) continue;
    const key = `${rowName ? r.params[rowName] : NaN}|${r.params[colName]}`;
    const prev = cell.get(key);
    if (prev === undefined || r.score > prev) cell.set(key, r.score);
  }
  const vals = [...cell.values()];
  const lo = Math.min(...vals);
  const hi = Math.max(...vals);
  const color = (v: number): string => {
    const x = hi > lo ? (v - lo) / (hi - lo) : 0.5;
    // red (low) → yellow → green (high)
    const r = Math.round(x < 0.5 ? 220 : 220 - (x - 0.5) * 2 * 180);
    const g = Math.round(x < 0.5 ? 60 + x * 2 * 160 : 220);
    return `rgb(${r},${g},90)`;
  };
  const head = `<tr><th>${escapeHtml(rowName ?? '')} \\ ${escapeHtml(colName)}</th>${colsV.map((c) => `<th>${c}</th>`).join('')}</tr>`;
  const body = rowsV
    .map((rv) => {
      const tds = colsV.map((cv) => {
        const v = cell.get(`${rv}|${cv}`);
        return v === undefined ? '<td></td>' : `<td style="background:${color(v)}" title="${escapeHtml(`${rowName ?? ''}=${rv} ${colName}=${cv}: ${v}`)}">${Number(v.toPrecision(4))}</td>`;
      });
      return `<tr><th>${rowName ? rv : ''}</th>${tds.join('')}</tr>`;
    })
    .join('\n');
  const agg = names.length > 2 ? ` (best over ${names.slice(2).map(escapeHtml).join(', ')})` : '';
  return `<h2>Optimisation heat map: ${escapeHtml(maximize)}${agg}</h2>\n<div class="scroll"><table class="heat">\n${head}\n${body}\n</table></div>`;
}
