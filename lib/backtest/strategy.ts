/**
 * The strategy contract shared by the backtester and the live platform.
 *
 * A strategy is an object with `init(ctx)` (called once, may precompute
 * indicators over `ctx.data`) and `next(bar, ctx)` (called once per bar, after
 * the broker has processed pending orders at that bar). It talks only to `ctx`:
 * the backtest engine implements `StrategyContext` over a simulated broker; a
 * live runner implements it over the risk/trading services.
 */
import type { BarSeries, OrderRequest } from './types';

/**
 * The current bar. The engine reuses ONE object for the whole run (no per-bar
 * allocation): read its fields inside `next`, don't keep a reference.
 */
export interface Bar {
  /** 0-based index of the bar in the series. */
  i: number;
  /** Bar open time, ms since epoch UTC. */
  t: number;
  o: number;
  h: number;
  l: number;
  c: number;
  v: number;
}

export interface PositionView {
  /** Sum of open trade sizes, in units; negative when net short. */
  readonly size: number;
  readonly isLong: boolean;
  readonly isShort: boolean;
  /** Unrealised profit of open trades in cash, at the current close. */
  readonly pl: number;
  /** Unrealised profit in percent of the entry value. */
  readonly plPct: number;
}

export interface OrderView {
  readonly size: number;
  readonly limit: number;
  readonly stop: number;
  readonly sl: number;
  readonly tp: number;
  readonly isLong: boolean;
  /** A stop-loss or take-profit order attached to an open trade. */
  readonly isContingent: boolean;
  readonly tag: string | number | undefined;
  cancel(): void;
}

export interface TradeView {
  readonly size: number;
  readonly entryPrice: number;
  readonly entryBar: number;
  readonly isLong: boolean;
  /** Unrealised profit at the current close. */
  readonly pl: number;
  readonly tag: string | number | undefined;
  /** Stop-loss price (NaN if none); assign to set, move or (NaN) remove it. */
  sl: number;
  /** Take-profit price (NaN if none); assign to set, move or (NaN) remove it. */
  tp: number;
  /** Place an order closing `portion` (0, 1] of the trade at the next fill. */
  close(portion?: number): void;
}

export interface StrategyContext {
  /**
   * The bars. In `init` the full series is visible (precompute indicators the
   * way a vectorised library does); in `next` only indices ≤ `bar.i` are the
   * past — a strategy must not read beyond it.
   */
  readonly data: BarSeries;
  /** Index of the current bar (same as `bar.i` in `next`). */
  readonly i: number;
  readonly position: PositionView;
  /** Cash plus unrealised P&L at the current close. */
  readonly equity: number;
  readonly cash: number;
  /** Open trades (live objects). */
  readonly trades: readonly TradeView[];
  /** Pending orders (live objects). */
  readonly orders: readonly OrderView[];
  /** Number of closed trades so far. */
  readonly closedTradeCount: number;
  /**
   * Register an indicator array (full length, NaN during warm-up). The run
   * starts on the first bar where every registered indicator has a value
   * (plus one, so `next` can look one bar back). Returns `values`.
   */
  indicator(name: string, values: Float64Array, opts?: { overlay?: boolean }): Float64Array;
  buy(req?: OrderRequest): OrderView;
  sell(req?: OrderRequest): OrderView;
  /** Close `portion` of every open trade (the whole position by default). */
  close(portion?: number): void;
}

export interface Strategy {
  init(ctx: StrategyContext): void;
  next(bar: Bar, ctx: StrategyContext): void;
}
