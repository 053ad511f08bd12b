/**
 * Market: candlesticks of a symbol and timeframe (lightweight-charts), indicator
 * overlays (BB, EMA) and panes (RSI, MACD), decision and fill markers, live over
 * `/ws`: the forming bar follows the tick stream (bid, as market-data builds bars)
 * and each closed candle replaces it with the stored bar.
 */
import {
  CandlestickSeries,
  createChart,
  createSeriesMarkers,
  HistogramSeries,
  LineSeries,
  type IChartApi,
  type ISeriesApi,
  type ISeriesMarkersPluginApi,
  type SeriesMarker,
  type Time,
  type UTCTimestamp,
} from 'lightweight-charts';
import { ApiError } from '../api';
import { type AppContext, type IndicatorName, type PageView, TF_MS, TIMEFRAMES } from '../context';
import { computeOverlays, OVERLAY_PARAMS } from '../indicators';
import type { Candle, CandleItem, Decision, DecisionSummary, FillItem, OrderEvent, Page, SymbolItem, Tick, Timeframe } from '../types';
import { empty, fmtPct, fmtPrice, fmtTime, h, mount, perFrame } from '../ui';

const BARS = 500;
const UP = '#26a69a';
const DOWN = '#ef5350';

interface Bar {
  t: number;
  o: number;
  h: number;
  l: number;
  c: number;
}

interface ChartParts {
  chart: IChartApi;
  candles: ISeriesApi<'Candlestick'>;
  markers: ISeriesMarkersPluginApi<Time>;
  bb: ISeriesApi<'Line'>[] | null;
  ema: ISeriesApi<'Line'> | null;
  rsi: ISeriesApi<'Line'> | null;
  macd: { hist: ISeriesApi<'Histogram'>; macd: ISeriesApi<'Line'>; signal: ISeriesApi<'Line'> } | null;
  /** Indicator series created (they follow the first drawing of the candles). */
  indicators: boolean;
  /** Price digits the series format with. */
  digits: number;
}

const sec = (ms: number) => Math.floor(ms / 1000) as UTCTimestamp;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => (n < 10 ? '0' : '') + n;

/**
 * Axis labels in UTC (the platform's clock) by arithmetic: the library's default
 * goes through Intl, whose first use in a page costs more than drawing the chart.
 */
function tickMark(time: Time, type: number): string {
  const d = new Date((time as number) * 1000);
  switch (type) {
    case 0:
      return String(d.getUTCFullYear());
    case 1:
      return MONTHS[d.getUTCMonth()];
    case 2:
      return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]}`;
    case 4:
      return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
    default:
      return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
  }
}

/** Crosshair time: `2014-05-08 13:45` UTC. */
function crosshairTime(time: Time): string {
  const d = new Date((time as number) * 1000);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
}

function lineData(bars: Bar[], values: Float64Array) {
  const out: { time: UTCTimestamp; value?: number }[] = new Array(bars.length);
  for (let i = 0; i < bars.length; i++) out[i] = Number.isFinite(values[i]) ? { time: sec(bars[i].t), value: values[i] } : { time: sec(bars[i].t) };
  return out;
}

export function marketPage(root: HTMLElement, ctx: AppContext): PageView {
  const { api, stream, prefs } = ctx;
  let symbols: SymbolItem[] = [];
  let bars: Bar[] = [];
  let parts: ChartParts | null = null;
  let decisions: { t: number; action: string; confidence: number; id: string }[] = [];
  let fills: FillItem[] = [];
  let unsubs: (() => void)[] = [];
  let loadSeq = 0;
  let disposed = false;
  let digits = 5;

  const symbolSel = h('select', { id: 'symbol', 'aria-label': 'Symbol', onchange: () => switchTo(symbolSel.value, prefs.tf) });
  const tfGroup = h(
    'div',
    { class: 'seg', role: 'group', 'aria-label': 'Timeframe' },
    TIMEFRAMES.map((tf) => h('button', { type: 'button', 'data-tf': tf, onclick: () => prefs.symbol && switchTo(prefs.symbol, tf) }, tf)),
  );
  const indGroup = h(
    'div',
    { class: 'seg', role: 'group', 'aria-label': 'Indicators' },
    (Object.keys(OVERLAY_PARAMS) as IndicatorName[]).map((k) =>
      h('button', { type: 'button', 'data-ind': k, title: OVERLAY_PARAMS[k], onclick: () => toggle(k) }, k.toUpperCase()),
    ),
  );
  const quote = h('div', { class: 'quote', id: 'quote' }, '');
  const chartEl = h('div', { class: 'chart', id: 'chart', 'data-bars': '0' });
  const info = h('div', { class: 'chart-info', id: 'chart-info' });
  const lastDecision = h('div', { class: 'last-decision', id: 'last-decision' });
  mount(root, h('div', { class: 'toolbar' }, symbolSel, tfGroup, indGroup, quote), chartEl, h('div', { class: 'below-chart' }, info, lastDecision));

  const refreshButtons = () => {
    for (const b of tfGroup.querySelectorAll('button')) b.classList.toggle('on', b.dataset.tf === prefs.tf);
    for (const b of indGroup.querySelectorAll('button')) b.classList.toggle('on', prefs.indicators[b.dataset.ind as IndicatorName]);
  };

  const build = () => {
    parts?.chart.remove();
    chartEl.replaceChildren();
    // An explicit first size paints in the next frame; autoSize (ResizeObserver) takes over after it.
    const chart = createChart(chartEl, {
      width: chartEl.clientWidth,
      height: chartEl.clientHeight,
      layout: { background: { color: '#0d1117' }, textColor: '#c9d1d9', fontFamily: 'system-ui, sans-serif', panes: { separatorColor: '#30363d' } },
      grid: { vertLines: { color: '#161b22' }, horzLines: { color: '#161b22' } },
      timeScale: { timeVisible: true, secondsVisible: false, borderColor: '#30363d', rightOffset: 4, tickMarkFormatter: tickMark },
      localization: { timeFormatter: crosshairTime },
      rightPriceScale: { borderColor: '#30363d' },
      crosshair: { mode: 0 },
    });
    const minMove = Math.pow(10, -digits);
    const candles = chart.addSeries(CandlestickSeries, {
      upColor: UP,
      downColor: DOWN,
      borderVisible: false,
      wickUpColor: UP,
      wickDownColor: DOWN,
      priceFormat: { type: 'price', precision: digits, minMove },
    });
    parts = { chart, candles, markers: createSeriesMarkers(candles, []), bb: null, ema: null, rsi: null, macd: null, indicators: false, digits };
    requestAnimationFrame(() => requestAnimationFrame(() => parts?.chart === chart && chart.applyOptions({ autoSize: true })));
  };

  /** The overlay and pane series the preferences ask for (added once the candles are on screen). */
  const addIndicators = () => {
    if (!parts || parts.indicators) return;
    const { chart } = parts;
    const minMove = Math.pow(10, -digits);
    const thin = { lineWidth: 1 as const, priceLineVisible: false, lastValueVisible: false, crosshairMarkerVisible: false, priceFormat: { type: 'price' as const, precision: digits, minMove } };
    const ind = prefs.indicators;
    parts.bb = ind.bb ? ['#8b949e', '#58a6ff', '#8b949e'].map((color) => chart.addSeries(LineSeries, { ...thin, color })) : null;
    parts.ema = ind.ema ? chart.addSeries(LineSeries, { ...thin, color: '#f0b429', lineWidth: 2 }) : null;
    let pane = 1;
    if (ind.rsi) {
      const rsi = chart.addSeries(LineSeries, { ...thin, color: '#d2a8ff', priceFormat: { type: 'price', precision: 1, minMove: 0.1 }, lastValueVisible: true }, pane++);
      rsi.createPriceLine({ price: 70, color: '#6e7681', lineWidth: 1, lineStyle: 2, axisLabelVisible: false, title: '' });
      rsi.createPriceLine({ price: 30, color: '#6e7681', lineWidth: 1, lineStyle: 2, axisLabelVisible: false, title: '' });
      parts.rsi = rsi;
    }
    if (ind.macd) {
      const p = pane++;
      const fmt = { type: 'price' as const, precision: digits + 1, minMove: minMove / 10 };
      parts.macd = {
        hist: chart.addSeries(HistogramSeries, { priceLineVisible: false, lastValueVisible: false, priceFormat: fmt }, p),
        macd: chart.addSeries(LineSeries, { ...thin, color: '#58a6ff', priceFormat: fmt }, p),
        signal: chart.addSeries(LineSeries, { ...thin, color: '#f78166', priceFormat: fmt }, p),
      };
    }
    const panes = chart.panes();
    panes[0]?.setStretchFactor(3);
    for (let i = 1; i < panes.length; i++) panes[i].setStretchFactor(1);
    parts.indicators = true;
    setIndicators();
    chartEl.dataset.indicators = (Object.keys(ind) as IndicatorName[]).filter((k) => ind[k]).join(',');
  };

  const setIndicators = () => {
    if (!parts || !parts.indicators) return;
    const o = computeOverlays(bars.map((b) => b.c));
    if (parts.bb) {
      parts.bb[0].setData(lineData(bars, o.bb.upper));
      parts.bb[1].setData(lineData(bars, o.bb.middle));
      parts.bb[2].setData(lineData(bars, o.bb.lower));
    }
    parts.ema?.setData(lineData(bars, o.ema));
    parts.rsi?.setData(lineData(bars, o.rsi));
    if (parts.macd) {
      parts.macd.macd.setData(lineData(bars, o.macd.macd));
      parts.macd.signal.setData(lineData(bars, o.macd.signal));
      parts.macd.hist.setData(
        bars.map((b, i) => (Number.isFinite(o.macd.hist[i]) ? { time: sec(b.t), value: o.macd.hist[i], color: o.macd.hist[i] >= 0 ? '#26a69a88' : '#ef535088' } : { time: sec(b.t) })),
      );
    }
  };
  const refreshIndicators = perFrame(setIndicators);

  const setMarkers = () => {
    if (!parts) return;
    const tfMs = TF_MS[prefs.tf];
    const first = bars.length ? bars[0].t : Infinity;
    const m: SeriesMarker<Time>[] = [];
    for (const d of decisions) {
      if (d.action === 'hold' || d.t < first) continue;
      const buy = d.action === 'buy';
      m.push({ time: sec(Math.floor(d.t / tfMs) * tfMs), position: buy ? 'belowBar' : 'aboveBar', shape: buy ? 'arrowUp' : 'arrowDown', color: buy ? UP : DOWN, text: `${d.action} ${fmtPct(d.confidence, 0)}`, id: `d:${d.id}` });
    }
    for (const f of fills) {
      if (f.symbol !== prefs.symbol || f.time < first) continue;
      m.push({ time: sec(Math.floor(f.time / tfMs) * tfMs), position: f.side === 'buy' ? 'belowBar' : 'aboveBar', shape: 'circle', color: '#f0b429', text: `${f.side === 'buy' ? 'B' : 'S'} ${f.volume}@${fmtPrice(f.price, digits)}`, id: `f:${f.id}` });
    }
    m.sort((a, b) => (a.time as number) - (b.time as number));
    parts.markers.setMarkers(m);
    chartEl.dataset.markers = String(m.length);
  };
  const refreshMarkers = perFrame(setMarkers);

  const describe = () => {
    const last = bars[bars.length - 1];
    chartEl.dataset.bars = String(bars.length);
    chartEl.dataset.lastTime = last ? String(last.t) : '';
    chartEl.dataset.symbol = prefs.symbol ?? '';
    chartEl.dataset.tf = prefs.tf;
    mount(info, last ? `${prefs.symbol} ${prefs.tf} · ${bars.length} bars · last ${fmtTime(last.t)} UTC · O ${fmtPrice(last.o, digits)} H ${fmtPrice(last.h, digits)} L ${fmtPrice(last.l, digits)} C ${fmtPrice(last.c, digits)}` : '');
  };
  const refreshInfo = perFrame(describe);

  /**
   * Calls `then` once the candles are on screen, marking the first time
   * (`plan2:chart-rendered`, the load-to-chart measure). The chart draws in the
   * animation frame its setData requested; a task queued from a later-registered
   * frame callback runs after that frame is painted. Until the chart has a size,
   * it waits another frame.
   */
  const whenDrawn = (then: () => void) => {
    requestAnimationFrame(() =>
      setTimeout(() => {
        if (disposed) return;
        const canvas = chartEl.querySelector('canvas');
        if (!canvas || canvas.width === 0) return whenDrawn(then);
        if (bars.length > 0 && !document.documentElement.dataset.chartRendered) {
          const m = performance.mark('plan2:chart-rendered');
          document.documentElement.dataset.chartRendered = String(m.startTime);
          window.dispatchEvent(new CustomEvent('plan2:chart-rendered'));
        }
        then();
      }, 0),
    );
  };

  const onTicks = (data: unknown) => {
    const ev = data as { symbol: string; ticks: Tick[] };
    if (!parts || ev.symbol !== prefs.symbol || ev.ticks.length === 0) return;
    const tfMs = TF_MS[prefs.tf];
    let changed: Bar | null = null;
    for (const t of ev.ticks) {
      const bucket = Math.floor(t.time_msc / tfMs) * tfMs;
      const last = bars[bars.length - 1];
      if (!last || bucket > last.t) {
        if (changed) parts.candles.update(toCandle(changed));
        const b = { t: bucket, o: t.bid, h: t.bid, l: t.bid, c: t.bid };
        bars.push(b);
        if (bars.length > BARS * 2) bars.splice(0, bars.length - BARS);
        changed = b;
      } else if (bucket === last.t) {
        if (t.bid > last.h) last.h = t.bid;
        if (t.bid < last.l) last.l = t.bid;
        last.c = t.bid;
        changed = last;
      }
    }
    if (changed) parts.candles.update(toCandle(changed));
    const q = ev.ticks[ev.ticks.length - 1];
    mount(quote, showQuote(q.bid, q.ask));
    refreshIndicators();
    refreshInfo();
  };

  const showQuote = (bid: number, ask: number) => [
    h('span', { class: 'bid' }, fmtPrice(bid, digits)),
    ' / ',
    h('span', { class: 'ask' }, fmtPrice(ask, digits)),
    h('small', null, ` spread ${((ask - bid) / Math.pow(10, -digits)).toFixed(1)} pt`),
  ];

  const onCandle = (data: unknown) => {
    const c = data as Candle;
    if (!parts || c.symbol !== prefs.symbol || c.tf !== prefs.tf) return;
    const b: Bar = { t: c.t, o: c.o, h: c.h, l: c.l, c: c.c };
    const i = bars.findIndex((x) => x.t === c.t);
    const last = bars[bars.length - 1];
    if (i >= 0) {
      bars[i] = b;
      parts.candles.update(toCandle(b), i !== bars.length - 1);
    } else if (!last || c.t > last.t) {
      bars.push(b);
      parts.candles.update(toCandle(b));
    } else return;
    refreshIndicators();
    refreshInfo();
  };

  const onDecision = (data: unknown) => {
    const d = data as Decision;
    if (d.symbol !== prefs.symbol) return;
    decisions.push({ t: d.asOf, action: d.action, confidence: d.confidence, id: d.id });
    showDecision(d);
    refreshMarkers();
  };

  const onOrder = (data: unknown) => {
    const e = data as OrderEvent;
    if (e.event !== 'order.filled' || !e.fill) return;
    fills.push(e.fill);
    refreshMarkers();
  };

  const showDecision = (d: Pick<DecisionSummary, 'action' | 'confidence' | 'asOf' | 'method' | 'id'>) => {
    mount(lastDecision, 'Last decision: ', h('a', { href: `#/agents/${encodeURIComponent(d.id)}`, class: `act ${d.action}` }, d.action.toUpperCase()), ` ${fmtPct(d.confidence)} confidence · ${d.method} · ${fmtTime(d.asOf)} UTC`);
  };

  const loadMarkers = async (seq: number, symbol: string) => {
    const [hasDecisions, hasFills] = await Promise.all([api.has('/decisions'), api.has('/fills')]);
    const [ds, fs] = await Promise.all([
      hasDecisions ? api.get<Page<DecisionSummary>>('/decisions', { symbol, limit: 500 }).catch(() => null) : null,
      hasFills ? api.get<Page<FillItem>>('/fills', { symbol, limit: 500 }).catch(() => null) : null,
    ]);
    if (seq !== loadSeq) return;
    decisions = (ds?.items ?? []).map((d) => ({ t: d.asOf, action: d.action, confidence: d.confidence, id: d.id }));
    fills = fs?.items ?? [];
    if (ds?.items[0]) showDecision(ds.items[0]);
    setMarkers();
  };

  const switchTo = async (symbol: string, tf: Timeframe, preloaded?: CandleItem[]) => {
    const seq = ++loadSeq;
    const changedSymbol = symbol !== prefs.symbol;
    prefs.symbol = symbol;
    prefs.tf = tf;
    ctx.savePrefs();
    refreshButtons();
    symbolSel.value = symbol;
    const info0 = symbols.find((s) => s.symbol === symbol);
    digits = info0?.digits ?? digits;
    if (changedSymbol) mount(quote, info0?.bid !== undefined && info0.ask !== undefined ? showQuote(info0.bid, info0.ask) : '');
    for (const u of unsubs) u();
    unsubs = [stream.on(`ticks:${symbol}`, onTicks), stream.on(`candles:${symbol}:${tf}`, onCandle), stream.on(`decisions:${symbol}`, onDecision), stream.on('orders', onOrder)];
    let items = preloaded;
    if (!items) {
      try {
        items = (await api.get<Page<CandleItem>>('/candles', { symbol, tf, limit: BARS })).items;
      } catch (e) {
        if (seq === loadSeq) mount(info, `Candles unavailable: ${(e as Error).message}`);
        return;
      }
    }
    if (seq !== loadSeq || disposed) return;
    bars = items.map((c) => ({ t: c.t, o: c.o, h: c.h, l: c.l, c: c.c }));
    if (!parts || parts.digits !== digits) build();
    parts!.candles.setData(bars.map(toCandle));
    setIndicators();
    parts!.chart.timeScale().setVisibleLogicalRange({ from: Math.max(0, bars.length - 150), to: bars.length + 4 });
    describe();
    // Candles first; the indicator series (more panes, more layout) the frame after they show.
    if (!parts!.indicators) whenDrawn(() => requestAnimationFrame(addIndicators));
    if (changedSymbol) mount(lastDecision);
    decisions = [];
    fills = [];
    setMarkers();
    void loadMarkers(seq, symbol);
  };

  const dropChart = () => {
    parts?.chart.remove();
    parts = null;
  };

  const toggle = (k: IndicatorName) => {
    prefs.indicators[k] = !prefs.indicators[k];
    ctx.savePrefs();
    refreshButtons();
    build();
    parts!.candles.setData(bars.map(toCandle));
    addIndicators();
    setMarkers();
  };

  void (async () => {
    let list: SymbolItem[] = [];
    try {
      list = (await (ctx.preload?.symbols ?? api.get<Page<SymbolItem>>('/symbols'))).items;
    } catch (e) {
      dropChart();
      mount(chartEl, empty(`Market data unavailable: ${(e as ApiError).message}`));
      return;
    }
    if (disposed) return;
    symbols = list;
    if (symbols.length === 0) {
      dropChart();
      mount(chartEl, empty('No market data yet: start the replay feed or connect an MT5 terminal, then reload.'));
      chartEl.dataset.state = 'empty';
      return;
    }
    mount(symbolSel, symbols.map((s) => h('option', { value: s.symbol }, s.symbol)));
    const pre = await ctx.preload?.candles.catch(() => null);
    ctx.preload = null;
    const symbol = symbols.some((s) => s.symbol === prefs.symbol) ? prefs.symbol! : symbols[0].symbol;
    prefs.symbol = null; // the first switchTo is a change of symbol
    await switchTo(symbol, prefs.tf, pre && pre.symbol === symbol && pre.tf === prefs.tf ? pre.items : undefined);
  })();

  return {
    dispose() {
      disposed = true;
      loadSeq++;
      for (const u of unsubs) u();
      parts?.chart.remove();
      parts = null;
    },
  };
}

function toCandle(b: Bar) {
  return { time: sec(b.t), open: b.o, high: b.h, low: b.l, close: b.c };
}
