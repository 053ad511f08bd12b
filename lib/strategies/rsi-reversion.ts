/**
 * RSI mean reversion. Flat: buy when RSI < `lower`, sell short when RSI >
 * `upper`. Long: close when RSI > `exit`. Short: close when RSI < `exit`.
 * RSI is Wilder's (TA-Lib), over closes; orders use all available margin.
 */
import type { Bar, Strategy, StrategyContext } from '../backtest/strategy';
import { Rsi } from '../indicators';

export interface RsiReversionParams {
  period: number;
  lower: number;
  upper: number;
  exit: number;
}

export class RsiReversion implements Strategy {
  private r: Float64Array = new Float64Array(0);
  constructor(private readonly p: RsiReversionParams) {}

  init(ctx: StrategyContext): void {
    this.r = ctx.indicator(`RSI(${this.p.period})`, new Rsi(this.p.period).computeTyped(ctx.data.c).values, { overlay: false });
  }

  next(bar: Bar, ctx: StrategyContext): void {
    const x = this.r[bar.i];
    const size = ctx.position.size;
    if (size > 0) {
      if (x > this.p.exit) ctx.close();
    } else if (size < 0) {
      if (x < this.p.exit) ctx.close();
    } else if (ctx.orders.length === 0) {
      if (x < this.p.lower) ctx.buy();
      else if (x > this.p.upper) ctx.sell();
    }
  }
}
