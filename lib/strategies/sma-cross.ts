/**
 * SMA crossover: on a bullish cross close any position and buy with all
 * available margin; on a bearish cross close and sell.
 *
 * A cross at bar i is strict, as backtesting.py's `crossover`: bullish when
 * fast[i−1] < slow[i−1] and fast[i] > slow[i]; bearish when slow[i−1] <
 * fast[i−1] and slow[i] > fast[i]. Touching (equality) is not a cross; NaN
 * compares false.
 */
import type { Bar, Strategy, StrategyContext } from '../backtest/strategy';
import { Sma } from '../indicators';

export interface SmaCrossParams {
  fast: number;
  slow: number;
}

export class SmaCross implements Strategy {
  private f: Float64Array = new Float64Array(0);
  private s: Float64Array = new Float64Array(0);
  constructor(private readonly p: SmaCrossParams) {}

  init(ctx: StrategyContext): void {
    const close = ctx.data.c;
    this.f = ctx.indicator(`SMA(${this.p.fast})`, new Sma(this.p.fast).computeTyped(close).values);
    this.s = ctx.indicator(`SMA(${this.p.slow})`, new Sma(this.p.slow).computeTyped(close).values);
  }

  next(bar: Bar, ctx: StrategyContext): void {
    const i = bar.i;
    const f = this.f;
    const s = this.s;
    if (f[i - 1] < s[i - 1] && f[i] > s[i]) {
      ctx.close();
      ctx.buy();
    } else if (s[i - 1] < f[i - 1] && s[i] > f[i]) {
      ctx.close();
      ctx.sell();
    }
  }
}
