/**
 * Donchian channel breakout. Flat: buy when the close rises above the highest
 * high of the previous `entry` bars, sell short when it falls below their
 * lowest low. Long: close when the close falls below the lowest low of the
 * previous `exit` bars; short: when it rises above their highest high.
 * Channels exclude the current bar; orders use all available margin.
 */
import type { Bar, Strategy, StrategyContext } from '../backtest/strategy';
import { Donchian } from '../indicators';

export interface BreakoutParams {
  entry: number;
  exit: number;
}

/** `x` delayed by one bar (value k = x[k−1]; NaN at 0). */
function lag1(x: Float64Array): Float64Array {
  const out = new Float64Array(x.length);
  out[0] = NaN;
  out.set(x.subarray(0, x.length - 1), 1);
  return out;
}

export class Breakout implements Strategy {
  private up: Float64Array = new Float64Array(0);
  private dn: Float64Array = new Float64Array(0);
  private exUp: Float64Array = new Float64Array(0);
  private exDn: Float64Array = new Float64Array(0);
  constructor(private readonly p: BreakoutParams) {}

  init(ctx: StrategyContext): void {
    const cols = { high: ctx.data.h, low: ctx.data.l, close: ctx.data.c };
    const entry = new Donchian(this.p.entry).computeTyped(cols);
    const exit = new Donchian(this.p.exit).computeTyped(cols);
    this.up = ctx.indicator(`High(${this.p.entry})`, lag1(entry.upper));
    this.dn = ctx.indicator(`Low(${this.p.entry})`, lag1(entry.lower));
    this.exUp = ctx.indicator(`High(${this.p.exit})`, lag1(exit.upper));
    this.exDn = ctx.indicator(`Low(${this.p.exit})`, lag1(exit.lower));
  }

  next(bar: Bar, ctx: StrategyContext): void {
    const i = bar.i;
    const size = ctx.position.size;
    if (size > 0) {
      if (bar.c < this.exDn[i]) ctx.close();
    } else if (size < 0) {
      if (bar.c > this.exUp[i]) ctx.close();
    } else if (ctx.orders.length === 0) {
      if (bar.c > this.up[i]) ctx.buy();
      else if (bar.c < this.dn[i]) ctx.sell();
    }
  }
}
