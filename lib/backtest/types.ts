/**
 * Data shapes of the backtester: a column-oriented bar series (typed arrays, no
 * per-bar objects), order requests, trade records and run options.
 */

/**
 * OHLCV bars as columns. `t[i]` is bar i's open time in ms since epoch (UTC),
 * strictly increasing. Volume may be NaN when unknown.
 */
export interface BarSeries {
  readonly length: number;
  readonly t: Float64Array;
  readonly o: Float64Array;
  readonly h: Float64Array;
  readonly l: Float64Array;
  readonly c: Float64Array;
  readonly v: Float64Array;
  readonly symbol?: string;
}

/** Build a BarSeries from plain arrays (copies them into Float64Arrays). */
export function barSeries(cols: {
  t: ArrayLike<number>;
  o: ArrayLike<number>;
  h: ArrayLike<number>;
  l: ArrayLike<number>;
  c: ArrayLike<number>;
  v?: ArrayLike<number>;
  symbol?: string;
}): BarSeries {
  const n = cols.t.length;
  for (const k of ['o', 'h', 'l', 'c'] as const) {
    if (cols[k].length !== n) throw new RangeError(`column ${k} has ${cols[k].length} values, t has ${n}`);
  }
  const v = new Float64Array(n);
  if (cols.v) v.set(cols.v);
  else v.fill(NaN);
  return {
    length: n,
    t: Float64Array.from(cols.t),
    o: Float64Array.from(cols.o),
    h: Float64Array.from(cols.h),
    l: Float64Array.from(cols.l),
    c: Float64Array.from(cols.c),
    v,
    symbol: cols.symbol,
  };
}

/** A contiguous slice [from, to) of a series, sharing its memory (no copy). */
export function sliceBars(s: BarSeries, from: number, to: number): BarSeries {
  const a = Math.max(0, from);
  const b = Math.min(s.length, to);
  return {
    length: Math.max(0, b - a),
    t: s.t.subarray(a, b),
    o: s.o.subarray(a, b),
    h: s.h.subarray(a, b),
    l: s.l.subarray(a, b),
    c: s.c.subarray(a, b),
    v: s.v.subarray(a, b),
    symbol: s.symbol,
  };
}

/**
 * An order as a strategy asks for it. `size` omitted = all available margin
 * (see the engine's sizing rule); 0 < size < 1 = that fraction of available
 * margin; size ≥ 1 = that many whole units. Prices are absolute; omitted = none.
 */
export interface OrderRequest {
  size?: number;
  /** Limit price: fill only at this price or better. */
  limit?: number;
  /** Stop price: the order becomes a market (or limit) order once touched. */
  stop?: number;
  /** Stop-loss price for the trade this order opens. */
  sl?: number;
  /** Take-profit price for the trade this order opens. */
  tp?: number;
  tag?: string | number;
}

/** Commission model: a rate of traded value, `[fixed, rate]` per fill, or a function of (signed size, price). */
export type CommissionSpec = number | readonly [number, number] | ((size: number, price: number) => number);

export interface BacktestOptions {
  /** Starting cash, > 0. */
  cash: number;
  /** Charged on entry and on exit. Default 0. */
  commission?: CommissionSpec;
  /** Relative bid-ask spread applied to entry prices (long pays more, short receives less). Default 0. */
  spread?: number;
  /** Margin ratio in (0, 1]; leverage = 1 / margin. Default 1. */
  margin?: number;
  /** Fill market orders at the close of the bar they were placed on instead of the next open. */
  tradeOnClose?: boolean;
  /** Allow long and short trades at the same time (otherwise opposite orders net FIFO). */
  hedging?: boolean;
  /** Every new order cancels pending orders and closes open trades first. */
  exclusiveOrders?: boolean;
  /** Close trades still open at the end on the last bar so they count in the statistics. */
  finalizeTrades?: boolean;
  /** Called every `progressEvery` bars (default 65,536) and once at the end. */
  onProgress?: (done: number, total: number) => void;
  progressEvery?: number;
}

/** A settled trade. Bars are 0-based indices into the series; `size` is signed (negative = short). */
export interface ClosedTrade {
  size: number;
  entryBar: number;
  exitBar: number;
  entryTime: number;
  exitTime: number;
  entryPrice: number;
  exitPrice: number;
  /** Stop-loss / take-profit price attached when the trade closed, NaN if none. */
  sl: number;
  tp: number;
  /** Profit in cash after entry and exit commissions. */
  pnl: number;
  /** Return as a fraction of the entry value, after commissions (0.05 = 5 %). */
  ret: number;
  /** Entry plus exit commission in cash. */
  commission: number;
  tag?: string | number;
}

/** An indicator a strategy registered, for warm-up, reports and per-trade values. */
export interface IndicatorRecord {
  name: string;
  values: Float64Array;
  /** Drawn over the price chart (true) or in its own pane (false). */
  overlay: boolean;
}

export interface BacktestResult {
  /** Equity marked to each bar's close, one value per bar. */
  equity: Float64Array;
  /** Closed trades in the order they closed. */
  trades: ClosedTrade[];
  /** Trades still open after the last bar (empty when finalizeTrades). */
  openTrades: ClosedTrade[];
  /** Leading bars before every registered indicator has a value. */
  warmupBars: number;
  /** First bar the strategy saw (warmupBars + 1). */
  startBar: number;
  indicators: IndicatorRecord[];
  finalCash: number;
  /** The run stopped early because equity reached zero. */
  outOfMoney: boolean;
  warnings: string[];
}
