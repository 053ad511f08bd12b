/**
 * Event-driven backtest engine over bars (ticks run as one-price bars, see
 * `ticksToBars`).
 *
 * The default fill and accounting semantics are those of backtesting.py 0.6
 * (its `_Broker`), so results can be checked against its published numbers.
 * Every rule, in the order the engine applies them:
 *
 * Run loop
 * 1. `strategy.init(ctx)` runs once with the whole series visible. Indicators it
 *    registers with `ctx.indicator` define the warm-up: W = the largest index of
 *    the first non-NaN value over all indicators (an all-NaN indicator counts
 *    as 0). The first bar the engine processes is S = W + 1, so `next` can
 *    always look one bar back.
 * 2. For each bar i = S … n−1: the broker processes pending orders against bar
 *    i (rules below), records equity[i], then calls `strategy.next(bar_i, ctx)`.
 *    Orders placed in `next` are pending until the broker step of bar i+1.
 * 3. Equity[i] = cash + Σ open trades' size × (close[i] − entry price): marked to
 *    the bar's close. Bars before S get equity[S] (back-filled); a run that never
 *    reaches a bar (too short) reports the starting cash.
 * 4. If equity ≤ 0 after a broker step, every open trade is closed at close[i]
 *    (iterating the open list while removing, as the reference does, so every
 *    second trade is skipped), cash and equity[i…] become 0, and the run stops.
 * 5. At the end, with `finalizeTrades`, a close order is placed for every open
 *    trade (last trade first) and the broker step of the LAST bar runs once more:
 *    trades close at the last bar's OPEN (or the previous close with
 *    `tradeOnClose`), orders the strategy placed on the last bar are processed
 *    too, and equity[n−1] is recorded again. Without it, open trades stay open,
 *    are listed in `openTrades` and are absent from the statistics.
 *
 * Orders
 * 6. `buy`/`sell` without `size` use size = 1 − 2⁻⁵² ("all of available margin");
 *    0 < size < 1 is a fraction of available margin; size ≥ 1 must be whole
 *    units. Price checks at placement, against the current close adjusted by the
 *    spread (P): long needs sl < (limit ‖ stop ‖ P) < tp, short the reverse.
 * 7. With `exclusiveOrders`, a strategy order first cancels pending
 *    non-contingent orders (walking the list while removing: an order directly
 *    after a cancelled one survives, as in the reference) and places a close
 *    order for every open trade; it is then queued behind those.
 * 8. Queue order: close orders (`trade.close`, `position.close`) go to the front;
 *    stop-loss orders go to the front; everything else to the back.
 *
 * Fills (broker step of bar i, walking a snapshot of the queue)
 * 9. Stop orders wait until touched (buy: high ≥ stop; sell: low ≤ stop) and then
 *    lose their stop (become market or limit orders, even if not filled now).
 * 10. Limit orders fill when touched (buy: low ≤ limit; sell: high ≥ limit) at
 *    min(stop ‖ open, limit) for buys, max(stop ‖ open, limit) for sells. If the
 *    stop was hit on this bar and the limit is on the far side of the stop
 *    (buy: limit ≤ stop), the limit is assumed hit before the stop: no fill now.
 * 11. Market orders fill at open[i]; with `tradeOnClose` non-contingent ones fill
 *    at close[i−1] and are booked on bar i−1. A touched stop (no limit) fills at
 *    max(price, stop) for buys, min(price, stop) for sells, on bar i.
 * 12. Contingent and close orders act on their trade: they close
 *    min(|order|, |trade|) units at the fill price with no spread. A partial close
 *    splits the trade: a copy with the closed size is settled, the rest stays.
 * 13. Stand-alone orders: entry price E = price × (1 ± spread) (+ for buys). Per
 *    unit cost U = E + commission(size, price) / |size|. A relative size becomes
 *    units = ⌊margin_available × leverage × |size| / U⌋ (Python float floor
 *    division); zero units cancels the order. margin_available = max(0, equity −
 *    Σ |trade size| × close[i] / leverage), equity at close[i] of the bar being
 *    processed.
 * 14. Without `hedging`, an order first closes opposite trades FIFO at the raw
 *    fill price (whole trades while the order is larger, then a partial one).
 * 15. If the remaining units × U > margin_available × leverage the order is
 *    cancelled; otherwise a trade opens at E on the fill bar and its commission
 *    is paid from cash. Its take-profit (limit) and stop-loss (stop) orders are
 *    queued. After a market entry with sl/tp the queue is processed again on the
 *    same bar (so a stop-loss can hit on the entry bar, at min(open, sl) for a
 *    long); after a stop entry whose tp (and not sl) lies within the bar, too;
 *    otherwise an sl/tp inside the entry bar waits for the next bar (warning).
 * 16. Commission is charged on entry (on E) and on exit (on the exit price):
 *    commission(size, price) = fixed + |size| × price × rate, or a custom
 *    function. A trade's P&L = size × (exit − entry) − both commissions (the
 *    entry one recomputed for the closed size); its return = sign × (exit /
 *    entry − 1) − commissions / (|size| × entry). Cash on exit += size × (exit −
 *    entry) − exit commission.
 *
 * Speed: bars are typed-array columns; the per-bar path allocates nothing (one
 * reused `Bar` object, order/trade objects only when a strategy trades).
 */
import { DomainError } from '../errors';
import { has, pyFloorDiv, pyRound } from './py-num';
import type { Bar, OrderView, PositionView, Strategy, StrategyContext, TradeView } from './strategy';
import type { BacktestOptions, BacktestResult, BarSeries, ClosedTrade, IndicatorRecord, OrderRequest } from './types';

/** backtesting.py's `_FULL_EQUITY`: the default relative order size. */
export const FULL_EQUITY = 1 - Number.EPSILON;

class OutOfMoney extends Error {}

class Order implements OrderView {
  active = true;
  constructor(
    private readonly sim: Simulation,
    public size: number,
    public limit: number,
    public stop: number,
    public sl: number,
    public tp: number,
    public readonly parent: Trade | null,
    public readonly tag: string | number | undefined,
  ) {}
  get isLong(): boolean {
    return this.size > 0;
  }
  get isContingent(): boolean {
    const p = this.parent;
    return p !== null && (p.slOrder === this || p.tpOrder === this);
  }
  cancel(): void {
    this.sim.removeOrder(this);
    const p = this.parent;
    if (p) {
      if (p.slOrder === this) p.slOrder = null;
      else if (p.tpOrder === this) p.tpOrder = null;
    }
  }
}

class Trade implements TradeView {
  exitPrice = NaN;
  exitBar = -1;
  slOrder: Order | null = null;
  tpOrder: Order | null = null;
  commissions = 0;
  /** Last stop-loss / take-profit prices set, kept for the trade record. */
  slPrice = NaN;
  tpPrice = NaN;
  open = true;
  constructor(
    private readonly sim: Simulation,
    public size: number,
    public readonly entryPrice: number,
    public readonly entryBar: number,
    public readonly tag: string | number | undefined,
  ) {}
  get isLong(): boolean {
    return this.size > 0;
  }
  get pl(): number {
    return this.sim.tradePl(this);
  }
  get sl(): number {
    return this.slOrder ? this.slOrder.stop : NaN;
  }
  set sl(price: number) {
    this.sim.setContingent(this, 'sl', price);
  }
  get tp(): number {
    return this.tpOrder ? this.tpOrder.limit : NaN;
  }
  set tp(price: number) {
    this.sim.setContingent(this, 'tp', price);
  }
  close(portion = 1): void {
    this.sim.closeTradeOrder(this, portion);
  }
  copyWithSize(size: number): Trade {
    const t = new Trade(this.sim, size, this.entryPrice, this.entryBar, this.tag);
    t.commissions = this.commissions;
    t.slPrice = this.slPrice;
    t.tpPrice = this.tpPrice;
    return t;
  }
}

class Position implements PositionView {
  constructor(private readonly sim: Simulation) {}
  get size(): number {
    let s = 0;
    for (const t of this.sim.trades) s += t.size;
    return s;
  }
  get isLong(): boolean {
    return this.size > 0;
  }
  get isShort(): boolean {
    return this.size < 0;
  }
  get pl(): number {
    let s = 0;
    for (const t of this.sim.trades) s += this.sim.tradePl(t);
    return s;
  }
  get plPct(): number {
    let invested = 0;
    for (const t of this.sim.trades) invested += t.entryPrice * Math.abs(t.size);
    return invested ? (this.pl / invested) * 100 : 0;
  }
}

function commissionFn(spec: BacktestOptions['commission']): (size: number, price: number) => number {
  if (spec === undefined) return () => 0;
  if (typeof spec === 'function') return spec;
  const [fixed, rate] = typeof spec === 'number' ? [0, spec] : spec;
  if (!(fixed >= 0)) throw new DomainError('BAD_BACKTEST', `fixed commission must be ≥ 0, got ${fixed}`);
  if (!(rate >= -0.1 && rate < 0.1)) throw new DomainError('BAD_BACKTEST', `commission rate must be in [-0.1, 0.1), got ${rate}`);
  return (size, price) => fixed + Math.abs(size) * price * rate;
}

/** First index holding a non-NaN value (0 if none), like numpy's argmin(isnan). */
function firstValue(a: Float64Array): number {
  for (let k = 0; k < a.length; k++) if (a[k] === a[k]) return k;
  return 0;
}

class Simulation implements StrategyContext {
  readonly data: BarSeries;
  i: number;
  cash: number;
  readonly orders: Order[] = [];
  readonly trades: Trade[] = [];
  readonly closed: Trade[] = [];
  readonly equityCurve: Float64Array;
  readonly position: Position;
  readonly indicators: IndicatorRecord[] = [];
  readonly warnings: string[] = [];
  private readonly commission: (size: number, price: number) => number;
  private readonly spread: number;
  private readonly leverage: number;
  private readonly tradeOnClose: boolean;
  private readonly hedging: boolean;
  private readonly exclusive: boolean;
  private readonly scratch: Order[] = [];

  constructor(data: BarSeries, opts: BacktestOptions) {
    if (!(opts.cash > 0)) throw new DomainError('BAD_BACKTEST', `cash must be > 0, got ${opts.cash}`);
    const margin = opts.margin ?? 1;
    if (!(margin > 0 && margin <= 1)) throw new DomainError('BAD_BACKTEST', `margin must be in (0, 1], got ${margin}`);
    const spread = opts.spread ?? 0;
    if (!Number.isFinite(spread)) throw new DomainError('BAD_BACKTEST', `spread must be a number, got ${spread}`);
    this.data = data;
    this.i = data.length - 1;
    this.cash = opts.cash;
    this.commission = commissionFn(opts.commission);
    this.spread = spread;
    this.leverage = 1 / margin;
    this.tradeOnClose = !!opts.tradeOnClose;
    this.hedging = !!opts.hedging;
    this.exclusive = !!opts.exclusiveOrders;
    this.equityCurve = new Float64Array(data.length).fill(NaN);
    this.position = new Position(this);
  }

  // ---- StrategyContext ----------------------------------------------------

  get equity(): number {
    let s = 0;
    for (const t of this.trades) s += this.tradePl(t);
    return this.cash + s;
  }

  get closedTradeCount(): number {
    return this.closed.length;
  }

  indicator(name: string, values: Float64Array, opts?: { overlay?: boolean }): Float64Array {
    if (values.length !== this.data.length) {
      throw new DomainError('BAD_INDICATOR', `indicator ${name} has ${values.length} values, data has ${this.data.length}`);
    }
    this.indicators.push({ name, values, overlay: opts?.overlay ?? true });
    return values;
  }

  buy(req: OrderRequest = {}): OrderView {
    return this.placeOrder(this.checkSize(req.size), req);
  }

  sell(req: OrderRequest = {}): OrderView {
    return this.placeOrder(-this.checkSize(req.size), req);
  }

  close(portion = 1): void {
    for (const t of this.trades) this.closeTradeOrder(t, portion);
  }

  // ---- broker -------------------------------------------------------------

  private checkSize(size: number | undefined): number {
    const s = size ?? FULL_EQUITY;
    if (!((s > 0 && s < 1) || (s >= 1 && Math.round(s) === s))) {
      throw new DomainError('BAD_ORDER', `order size must be a fraction in (0, 1) or whole units ≥ 1, got ${s}`);
    }
    return s;
  }

  private placeOrder(size: number, req: OrderRequest): Order {
    const price = (x: number | undefined): number => {
      if (x === undefined || x === null) return NaN;
      if (!(x > 0 && x < Infinity)) throw new DomainError('BAD_ORDER', `order prices must be positive and finite, got ${x}`);
      return x;
    };
    return this.newOrder(size, price(req.limit), price(req.stop), price(req.sl), price(req.tp), req.tag, null);
  }

  /** Price of `size` units adjusted for the spread (buys pay more). */
  private adjusted(size: number, price: number): number {
    return price * (1 + (size < 0 ? -Math.abs(this.spread) : Math.abs(this.spread)));
  }

  newOrder(size: number, limit: number, stop: number, sl: number, tp: number, tag: string | number | undefined, trade: Trade | null): Order {
    const ref = has(limit) ? limit : has(stop) ? stop : this.adjusted(size, this.data.c[this.i]);
    if (size > 0) {
      if (!((has(sl) ? sl : -Infinity) < ref && ref < (has(tp) ? tp : Infinity))) {
        throw new DomainError('BAD_ORDER', `long orders require SL (${sl}) < LIMIT (${ref}) < TP (${tp})`);
      }
    } else if (!((has(tp) ? tp : -Infinity) < ref && ref < (has(sl) ? sl : Infinity))) {
      throw new DomainError('BAD_ORDER', `short orders require TP (${tp}) < LIMIT (${ref}) < SL (${sl})`);
    }
    const order = new Order(this, size, limit, stop, sl, tp, trade, tag);
    if (!trade && this.exclusive) {
      // Walks the live list while cancelling, like the reference implementation.
      for (let k = 0; k < this.orders.length; k++) {
        const o = this.orders[k];
        if (!o.isContingent) o.cancel();
      }
      for (const t of this.trades) this.closeTradeOrder(t, 1);
    }
    if (trade && has(stop)) this.orders.unshift(order);
    else this.orders.push(order);
    return order;
  }

  removeOrder(order: Order): void {
    const k = this.orders.indexOf(order);
    if (k >= 0) this.orders.splice(k, 1);
    order.active = false;
  }

  closeTradeOrder(trade: Trade, portion: number): void {
    if (!(portion > 0 && portion <= 1)) throw new DomainError('BAD_ORDER', `portion must be in (0, 1], got ${portion}`);
    const units = Math.max(1, pyRound(Math.abs(trade.size) * portion));
    const order = new Order(this, trade.size > 0 ? -units : units, NaN, NaN, NaN, NaN, trade, trade.tag);
    this.orders.unshift(order);
  }

  setContingent(trade: Trade, kind: 'sl' | 'tp', price: number): void {
    if (!(price !== price || (price > 0 && price < Infinity))) {
      throw new DomainError('BAD_ORDER', `${kind} must be positive and finite (or NaN to remove), got ${price}`);
    }
    const existing = kind === 'sl' ? trade.slOrder : trade.tpOrder;
    if (existing) existing.cancel();
    if (has(price)) {
      const o =
        kind === 'sl'
          ? this.newOrder(-trade.size, NaN, price, NaN, NaN, trade.tag, trade)
          : this.newOrder(-trade.size, price, NaN, NaN, NaN, trade.tag, trade);
      if (kind === 'sl') {
        trade.slOrder = o;
        trade.slPrice = price;
      } else {
        trade.tpOrder = o;
        trade.tpPrice = price;
      }
    }
  }

  tradePl(t: Trade): number {
    const price = has(t.exitPrice) ? t.exitPrice : this.data.c[this.i];
    return t.size * (price - t.entryPrice) - t.commissions;
  }

  private marginAvailable(): number {
    const last = this.data.c[this.i];
    let used = 0;
    let pl = 0;
    for (const t of this.trades) {
      const price = has(t.exitPrice) ? t.exitPrice : last;
      used += (Math.abs(t.size) * price) / this.leverage;
      pl += t.size * (price - t.entryPrice) - t.commissions;
    }
    return Math.max(0, this.cash + pl - used);
  }

  /** One broker step on bar `this.i`: fills, then equity. Throws OutOfMoney. */
  step(): void {
    if (this.orders.length) this.processOrders();
    const i = this.i;
    const equity = this.equity;
    this.equityCurve[i] = equity;
    if (equity <= 0) {
      const last = this.data.c[i];
      for (let k = 0; k < this.trades.length; k++) this.closeTrade(this.trades[k], last, i);
      this.cash = 0;
      this.equityCurve.fill(0, i);
      throw new OutOfMoney();
    }
  }

  private processOrders(): void {
    const d = this.data;
    const i = this.i;
    const open = d.o[i];
    const high = d.h[i];
    const low = d.l[i];
    let reprocess = false;
    const queue = this.scratch;
    queue.length = 0;
    for (const o of this.orders) queue.push(o);

    for (let q = 0; q < queue.length; q++) {
      const order = queue[q];
      if (!order.active) continue;

      const stopPrice = order.stop;
      if (has(stopPrice)) {
        const hit = order.isLong ? high >= stopPrice : low <= stopPrice;
        if (!hit) continue;
        order.stop = NaN;
      }

      let price: number;
      if (has(order.limit)) {
        const limit = order.limit;
        const limitHit = order.isLong ? low <= limit : high >= limit;
        const limitBeforeStop =
          limitHit && (order.isLong ? limit <= (has(stopPrice) ? stopPrice : -Infinity) : limit >= (has(stopPrice) ? stopPrice : Infinity));
        if (!limitHit || limitBeforeStop) continue;
        const ref = has(stopPrice) ? stopPrice : open;
        price = order.isLong ? Math.min(ref, limit) : Math.max(ref, limit);
      } else {
        price = this.tradeOnClose && !order.isContingent ? d.c[i - 1] : open;
        if (has(stopPrice)) price = order.isLong ? Math.max(price, stopPrice) : Math.min(price, stopPrice);
      }

      const isMarket = !has(order.limit) && !has(stopPrice);
      const timeIndex = isMarket && this.tradeOnClose && !order.isContingent ? i - 1 : i;

      const trade = order.parent;
      if (trade) {
        const prev = trade.size;
        const size = Math.sign(order.size) * Math.min(Math.abs(prev), Math.abs(order.size));
        if (trade.open) this.reduceTrade(trade, price, size, timeIndex);
        if (order !== trade.slOrder && order !== trade.tpOrder) this.removeOrder(order);
        continue;
      }

      const adjusted = this.adjusted(order.size, price);
      const unitCost = adjusted + this.commission(order.size, price) / Math.abs(order.size);
      let size = order.size;
      if (size > -1 && size < 1) {
        const units = pyFloorDiv(this.marginAvailable() * this.leverage * Math.abs(size), unitCost);
        size = size < 0 ? -Math.trunc(units) : Math.trunc(units);
        if (!size) {
          this.warnings.push(`bar ${i}: relative-sized order cancelled, insufficient margin`);
          this.removeOrder(order);
          continue;
        }
      }
      let need = Math.trunc(size);

      if (!this.hedging) {
        const open0 = this.trades.slice();
        for (const t of open0) {
          if (t.isLong === order.isLong) continue;
          if (Math.abs(need) >= Math.abs(t.size)) {
            this.closeTrade(t, price, timeIndex);
            need += t.size;
          } else {
            this.reduceTrade(t, price, need, timeIndex);
            need = 0;
          }
          if (!need) break;
        }
      }

      if (Math.abs(need) * unitCost > this.marginAvailable() * this.leverage) {
        this.removeOrder(order);
        continue;
      }

      if (need) {
        this.openTrade(adjusted, need, order.sl, order.tp, timeIndex, order.tag);
        if (has(order.sl) || has(order.tp)) {
          const sl = order.sl;
          const tp = order.tp;
          if (isMarket) reprocess = true;
          else if (
            has(stopPrice) &&
            !has(order.limit) &&
            has(tp) &&
            ((order.isLong && tp <= high && (has(sl) ? sl : -Infinity) < low) ||
              (!order.isLong && tp >= low && (has(sl) ? sl : Infinity) > high))
          ) {
            reprocess = true;
          } else if ((low <= (has(sl) ? sl : -Infinity) && (has(sl) ? sl : -Infinity) <= high) || (low <= (has(tp) ? tp : -Infinity) && (has(tp) ? tp : -Infinity) <= high)) {
            this.warnings.push(`bar ${i}: a contingent SL/TP order would execute in the bar its parent order filled; it waits for the next bar`);
          }
        }
      }
      this.removeOrder(order);
    }
    queue.length = 0;
    if (reprocess) this.processOrders();
  }

  private reduceTrade(trade: Trade, price: number, size: number, timeIndex: number): void {
    const left = trade.size + size;
    let closing = trade;
    if (left) {
      trade.size = left;
      if (trade.slOrder) trade.slOrder.size = -left;
      if (trade.tpOrder) trade.tpOrder.size = -left;
      closing = trade.copyWithSize(-size);
      this.trades.push(closing);
    }
    this.closeTrade(closing, price, timeIndex);
  }

  private closeTrade(trade: Trade, price: number, timeIndex: number): void {
    const k = this.trades.indexOf(trade);
    if (k >= 0) this.trades.splice(k, 1);
    trade.open = false;
    if (trade.slOrder) this.removeOrder(trade.slOrder);
    if (trade.tpOrder) this.removeOrder(trade.tpOrder);
    trade.exitPrice = price;
    trade.exitBar = timeIndex;
    this.closed.push(trade);
    const exitCommission = this.commission(trade.size, price);
    this.cash += trade.size * (price - trade.entryPrice) - trade.commissions - exitCommission;
    trade.commissions = exitCommission + this.commission(trade.size, trade.entryPrice);
  }

  private openTrade(price: number, size: number, sl: number, tp: number, timeIndex: number, tag: string | number | undefined): void {
    const trade = new Trade(this, size, price, timeIndex, tag);
    this.trades.push(trade);
    this.cash -= this.commission(size, price);
    if (has(tp)) this.setContingent(trade, 'tp', tp);
    if (has(sl)) this.setContingent(trade, 'sl', sl);
  }

  // ---- results ------------------------------------------------------------

  record(t: Trade, atPrice: number, atBar: number): ClosedTrade {
    const exitPrice = has(t.exitPrice) ? t.exitPrice : atPrice;
    const exitBar = t.exitBar >= 0 ? t.exitBar : atBar;
    const pnl = t.size * (exitPrice - t.entryPrice) - t.commissions;
    const gross = Math.sign(t.size) * (exitPrice / t.entryPrice - 1);
    return {
      size: t.size,
      entryBar: t.entryBar,
      exitBar,
      entryTime: this.data.t[t.entryBar],
      exitTime: this.data.t[exitBar],
      entryPrice: t.entryPrice,
      exitPrice,
      sl: t.slPrice,
      tp: t.tpPrice,
      pnl,
      ret: gross - t.commissions / (Math.abs(t.size) * t.entryPrice),
      commission: t.commissions,
      tag: t.tag,
    };
  }
}

/**
 * Run `strategy` over `data`. Pure and synchronous: same inputs, same result.
 * See the module docblock for every fill and accounting rule.
 */
export function runBacktest(data: BarSeries, strategy: Strategy, opts: BacktestOptions): BacktestResult {
  const n = data.length;
  if (n === 0) throw new DomainError('BAD_BACKTEST', 'no bars to backtest');
  const sim = new Simulation(data, opts);
  strategy.init(sim);

  let warmup = 0;
  for (const ind of sim.indicators) warmup = Math.max(warmup, firstValue(ind.values));
  const start = 1 + warmup;

  const bar: Bar = { i: 0, t: 0, o: 0, h: 0, l: 0, c: 0, v: 0 };
  const { t, o, h, l, c, v } = data;
  const every = Math.max(1, opts.progressEvery ?? 65536);
  const onProgress = opts.onProgress;
  let outOfMoney = false;

  for (let i = start; i < n; i++) {
    sim.i = i;
    try {
      sim.step();
    } catch (e) {
      if (e instanceof OutOfMoney) {
        outOfMoney = true;
        break;
      }
      throw e;
    }
    bar.i = i;
    bar.t = t[i];
    bar.o = o[i];
    bar.h = h[i];
    bar.l = l[i];
    bar.c = c[i];
    bar.v = v[i];
    strategy.next(bar, sim);
    if (onProgress !== undefined && i % every === 0) onProgress(i + 1, n);
  }

  if (!outOfMoney) {
    if (opts.finalizeTrades) {
      for (let k = sim.trades.length - 1; k >= 0; k--) sim.closeTradeOrder(sim.trades[k], 1);
      if (start < n) {
        sim.i = n - 1;
        try {
          sim.step();
        } catch (e) {
          if (!(e instanceof OutOfMoney)) throw e;
          outOfMoney = true;
        }
      }
    } else if (sim.trades.length) {
      sim.warnings.push('some trades remain open at the end of the backtest; use finalizeTrades to close them and include them in the statistics');
    }
  }
  onProgress?.(n, n);

  // Back-fill bars before the first processed one; a run that never started reports the cash.
  const eq = sim.equityCurve;
  let next = NaN;
  for (let i = n - 1; i >= 0; i--) {
    if (eq[i] === eq[i]) next = eq[i];
    else eq[i] = next;
  }
  for (let i = 0; i < n; i++) if (eq[i] !== eq[i]) eq[i] = sim.cash;

  return {
    equity: eq,
    trades: sim.closed.map((tr) => sim.record(tr, NaN, -1)),
    openTrades: sim.trades.map((tr) => sim.record(tr, c[n - 1], n - 1)),
    warmupBars: warmup,
    startBar: start,
    indicators: sim.indicators,
    finalCash: sim.cash,
    outOfMoney,
    warnings: sim.warnings,
  };
}
