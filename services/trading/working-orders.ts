/**
 * An account's working orders by id, keeping per symbol the count of working orders and
 * their signed unfilled lots as orders come and go.
 *
 * Risk reads the book before every order (`trading.book`): pending lots and the symbols
 * to mark. Summing them over the working orders cost O(working) per order, and the
 * working set is largest exactly when orders arrive fastest (paper fills queued behind
 * submissions). Orders are replaced, never mutated in place, so `set`/`delete` see every change.
 */
import { roundLots } from '../../lib/trading/positions';
import type { Order } from '../../types/trading';

const SIGN = { buy: 1, sell: -1 } as const;

export class WorkingOrders extends Map<string, Order> {
  private readonly bySymbol = new Map<string, { count: number; lots: number }>();

  constructor(orders: Iterable<Order> = []) {
    super();
    for (const o of orders) this.set(o.id, o);
  }

  override set(id: string, order: Order): this {
    const prev = super.get(id);
    if (prev) this.count(prev, -1);
    super.set(id, order);
    this.count(order, 1);
    return this;
  }

  override delete(id: string): boolean {
    const prev = super.get(id);
    if (!prev) return false;
    this.count(prev, -1);
    return super.delete(id);
  }

  override clear(): void {
    super.clear();
    this.bySymbol.clear();
  }

  /** Symbols with at least one working order. */
  symbols(): IterableIterator<string> {
    return this.bySymbol.keys();
  }

  /** Whether any working order is on `symbol`. */
  holds(symbol: string): boolean {
    return this.bySymbol.has(symbol);
  }

  /** Signed unfilled lots of the symbol's working orders (buy +, sell −). */
  pendingLots(symbol: string): number {
    const s = this.bySymbol.get(symbol);
    return s ? roundLots(s.lots) : 0;
  }

  private count(o: Order, k: 1 | -1): void {
    const s = this.bySymbol.get(o.symbol) ?? { count: 0, lots: 0 };
    s.count += k;
    if (s.count === 0) {
      // Also drops the rounding residue of the running sum.
      this.bySymbol.delete(o.symbol);
      return;
    }
    s.lots += k * SIGN[o.side] * (o.volume - o.filledVolume);
    this.bySymbol.set(o.symbol, s);
  }
}
