/**
 * The one interface every indicator implements.
 *
 * Streaming: `update(x)` feeds the next input and returns the value, or `null`
 * while warming up; `replace(x)` revises the last input (a bar still forming)
 * and returns what `update` would have returned had that input come first.
 * Batch: `compute(series)` returns, for each output, an array as long as the
 * input with `null` for the warm-up; `computeTyped(series)` returns the same
 * numbers in `Float64Array`s with `NaN` for the warm-up (no boxing: the fast
 * path for backtests). Both batch forms drive the same state machine as
 * `update`, so batch and streaming agree to the last bit.
 *
 * `lookback` is the number of inputs consumed before the first output (TA-Lib's
 * `TA_xxx_Lookback`): output index `lookback` is the first non-null one.
 */

/**
 * One OHLCV bar, the shape of `Candle` in types/market.ts. Indicators that use
 * volume need `v`; VWAP needs `t` (bar open time, ms since epoch UTC).
 */
export interface Bar {
  t?: number;
  o?: number;
  h: number;
  l: number;
  c: number;
  v?: number;
}

/** Column-wise OHLCV series, the shape `parseOhlcvCsv` returns. */
export interface OhlcvColumns {
  timestamps?: ArrayLike<number>;
  open?: ArrayLike<number>;
  high: ArrayLike<number>;
  low: ArrayLike<number>;
  close: ArrayLike<number>;
  volume?: ArrayLike<number>;
}

/** What a bar indicator accepts in batch: bars or columns. */
export type BarSeries = readonly Bar[] | OhlcvColumns;

/** Input columns an indicator reads (the CLI uses this to ask the CSV reader for them). */
export type Column = 'timestamps' | 'open' | 'high' | 'low' | 'close' | 'volume';

/** A single-output indicator's value is a number; multi-output ones return an object of numbers. */
export type Output = number | { readonly [key: string]: number };

export interface IndicatorBase<TIn, TOut extends Output, K extends string> {
  /** Canonical id with parameters, e.g. `RSI_14`, `MACD_12_26_9`, `BBANDS_20_2`. */
  readonly id: string;
  /** Inputs consumed before the first output. */
  readonly lookback: number;
  /** Output keys; single-output indicators have `['values']`. */
  readonly outputs: readonly K[];
  /** Whether inputs are numbers (`scalar`) or bars. */
  readonly input: 'scalar' | 'bar';
  /** Columns read from an OHLCV series (scalar indicators: whichever column the caller picks). */
  readonly needs: readonly Column[];
  /** True once an output is available (`count > lookback`). */
  readonly isReady: boolean;
  /** Inputs consumed so far (a `replace` does not count). */
  readonly count: number;
  update(x: TIn): TOut | null;
  replace(x: TIn): TOut | null;
  /** Back to the freshly constructed state. */
  reset(): void;
}

export interface ScalarIndicator<TOut extends Output = Output, K extends string = string> extends IndicatorBase<number, TOut, K> {
  readonly input: 'scalar';
  compute(series: ArrayLike<number>): Record<K, (number | null)[]>;
  computeTyped(series: ArrayLike<number>): Record<K, Float64Array>;
}

export interface BarIndicator<TOut extends Output = Output, K extends string = string> extends IndicatorBase<Bar, TOut, K> {
  readonly input: 'bar';
  compute(series: BarSeries): Record<K, (number | null)[]>;
  computeTyped(series: BarSeries): Record<K, Float64Array>;
}

export type AnyIndicator = ScalarIndicator | BarIndicator;

export type BandsOutput = {
  readonly upper: number;
  readonly middle: number;
  readonly lower: number;
};
