/**
 * Paper execution rules: what price an order fills at against a bid/ask quote, when a
 * pending order or a protective stop triggers, and how a trailing stop moves.
 *
 * - market buys fill at the ask + slippage, sells at the bid − slippage (slippage in points);
 * - a buy limit fills when ask ≤ limit, at min(ask, limit); a sell limit when bid ≥ limit,
 *   at max(bid, limit) (a gap through the limit fills at the better quote);
 * - a buy stop triggers when ask ≥ stop and a sell stop when bid ≤ stop; they fill as
 *   market orders (with slippage);
 * - a long position closes at the bid: SL when bid ≤ sl, TP when bid ≥ tp; a short at
 *   the ask: SL when ask ≥ sl, TP when ask ≤ tp. SL fills with slippage, TP without;
 * - a trailing stop of distance d on a long moves SL up to bid − d once that is at least
 *   the open price (MT5 activates trailing only in profit) and never moves it back;
 *   mirrored for shorts with ask + d;
 * - commission is `commissionPerLot` account-currency units per lot per side.
 */
import type { OrderType, Quote, Side } from '../../types/trading';

export interface PaperSettings {
  /** Adverse slippage on market and stop fills, in points (≥ 0). */
  slippagePoints: number;
  /** Commission per lot per side, account currency. */
  commissionPerLot: number;
}

export const DEFAULT_PAPER: PaperSettings = { slippagePoints: 0, commissionPerLot: 0 };

/** Market fill price: buy at ask + slippage, sell at bid − slippage. */
export function marketFillPrice(side: Side, q: Pick<Quote, 'bid' | 'ask'>, slippagePoints: number, point: number): number {
  return side === 'buy' ? q.ask + slippagePoints * point : q.bid - slippagePoints * point;
}

/** Fill price of a pending order on this quote, or null if it does not trigger. */
export function pendingFillPrice(o: { side: Side; type: OrderType; price: number }, q: Pick<Quote, 'bid' | 'ask'>, slippagePoints: number, point: number): number | null {
  if (o.type === 'limit') {
    if (o.side === 'buy') return q.ask <= o.price ? Math.min(q.ask, o.price) : null;
    return q.bid >= o.price ? Math.max(q.bid, o.price) : null;
  }
  if (o.type === 'stop') {
    if (o.side === 'buy') return q.ask >= o.price ? marketFillPrice('buy', q, slippagePoints, point) : null;
    return q.bid <= o.price ? marketFillPrice('sell', q, slippagePoints, point) : null;
  }
  return marketFillPrice(o.side, q, slippagePoints, point);
}

export interface ProtectiveTrigger {
  reason: 'sl' | 'tp';
  price: number;
}

/** Does this quote hit the position's SL or TP? SL wins when both are hit on one quote. */
export function protectiveTrigger(p: { side: Side; sl: number | null; tp: number | null }, q: Pick<Quote, 'bid' | 'ask'>, slippagePoints: number, point: number): ProtectiveTrigger | null {
  if (p.side === 'buy') {
    if (p.sl !== null && q.bid <= p.sl) return { reason: 'sl', price: q.bid - slippagePoints * point };
    if (p.tp !== null && q.bid >= p.tp) return { reason: 'tp', price: q.bid };
  } else {
    if (p.sl !== null && q.ask >= p.sl) return { reason: 'sl', price: q.ask + slippagePoints * point };
    if (p.tp !== null && q.ask <= p.tp) return { reason: 'tp', price: q.ask };
  }
  return null;
}

/** New SL for a trailing stop, or null when it does not move. */
export function trailedStop(p: { side: Side; priceOpen: number; sl: number | null; trailing: number | null }, q: Pick<Quote, 'bid' | 'ask'>): number | null {
  if (p.trailing === null || !(p.trailing > 0)) return null;
  if (p.side === 'buy') {
    const c = q.bid - p.trailing;
    if (c >= p.priceOpen && (p.sl === null || c > p.sl)) return c;
  } else {
    const c = q.ask + p.trailing;
    if (c <= p.priceOpen && (p.sl === null || c < p.sl)) return c;
  }
  return null;
}

/** Commission of a fill. */
export function commissionOf(volume: number, s: PaperSettings): number {
  return volume * s.commissionPerLot;
}
