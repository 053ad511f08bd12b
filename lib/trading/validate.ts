/**
 * Order validation against the symbol's specification and the current quote, as
 * MT5 would refuse them (TRADE_RETCODE_INVALID_VOLUME / _PRICE / _STOPS), but before
 * anything is persisted. Every refusal is INVALID_ORDER (422) naming the field.
 *
 * Reference prices: a market buy enters at the ask, a market sell at the bid; a
 * pending order at its own price. SL must be on the losing side of the entry and TP on
 * the winning side, at least `trade_stops_level` points away.
 */
import { DomainError } from '../errors';
import type { OrderIntent, Quote, Side, SymbolSpec } from '../../types/trading';
import { isMultipleOfStep } from '../risk/sizing';

function invalid(field: string, message: string): never {
  throw new DomainError('INVALID_ORDER', message, 422, { field });
}

function finitePositive(field: string, v: number | undefined): void {
  if (v === undefined) return;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) invalid(field, `${field} must be a positive finite number, got ${v}`);
}

/** Volume rules: finite, > 0, within [volume_min, volume_max], a multiple of volume_step. */
export function validateVolume(volume: number, spec: SymbolSpec): void {
  if (typeof volume !== 'number' || !Number.isFinite(volume) || volume <= 0) invalid('volume', `volume must be a positive finite number of lots, got ${volume}`);
  if (volume < spec.volume_min - 1e-12) invalid('volume', `volume ${volume} is below ${spec.name}'s minimum ${spec.volume_min}`);
  if (volume > spec.volume_max + 1e-12) invalid('volume', `volume ${volume} is above ${spec.name}'s maximum ${spec.volume_max}`);
  if (!isMultipleOfStep(volume, spec.volume_step)) invalid('volume', `volume ${volume} is not a multiple of ${spec.name}'s volume step ${spec.volume_step}`);
}

/** The price an order enters at, for SL/TP checks. */
export function entryPrice(intent: Pick<OrderIntent, 'side' | 'type' | 'price'>, quote: Pick<Quote, 'bid' | 'ask'>): number {
  if (intent.type !== 'market' && intent.price !== undefined) return intent.price;
  return intent.side === 'buy' ? quote.ask : quote.bid;
}

/** SL/TP sides and distance for a position of `side` entered (or marked) at `ref`. */
export function validateStops(side: Side, ref: number, sl: number | undefined | null, tp: number | undefined | null, spec: SymbolSpec): void {
  const minDist = (spec.trade_stops_level ?? 0) * spec.point;
  const p = (x: number) => x.toFixed(spec.digits);
  if (sl !== undefined && sl !== null) {
    finitePositive('sl', sl);
    if (side === 'buy' && !(sl < ref)) invalid('sl', `stop loss ${p(sl)} of a buy must be below the entry price ${p(ref)}`);
    if (side === 'sell' && !(sl > ref)) invalid('sl', `stop loss ${p(sl)} of a sell must be above the entry price ${p(ref)}`);
    if (Math.abs(ref - sl) < minDist - 1e-12) invalid('sl', `stop loss ${p(sl)} is closer than ${spec.trade_stops_level} points to ${p(ref)}`);
  }
  if (tp !== undefined && tp !== null) {
    finitePositive('tp', tp);
    if (side === 'buy' && !(tp > ref)) invalid('tp', `take profit ${p(tp)} of a buy must be above the entry price ${p(ref)}`);
    if (side === 'sell' && !(tp < ref)) invalid('tp', `take profit ${p(tp)} of a sell must be below the entry price ${p(ref)}`);
    if (Math.abs(tp - ref) < minDist - 1e-12) invalid('tp', `take profit ${p(tp)} is closer than ${spec.trade_stops_level} points to ${p(ref)}`);
  }
}

/**
 * Validate an order intent; throws INVALID_ORDER (422) with `data.field`.
 * Pending orders: a buy limit must be below the ask and a buy stop above it; a sell
 * limit above the bid and a sell stop below it (otherwise they would be marketable).
 */
export function validateOrder(intent: OrderIntent, spec: SymbolSpec, quote: Pick<Quote, 'bid' | 'ask'>): void {
  if (intent.side !== 'buy' && intent.side !== 'sell') invalid('side', `side must be buy or sell, got ${String(intent.side)}`);
  validateVolume(intent.volume, spec);
  if (intent.type === 'market') {
    if (intent.price !== undefined) invalid('price', 'a market order takes no price');
  } else if (intent.type === 'limit' || intent.type === 'stop') {
    if (intent.price === undefined) invalid('price', `a ${intent.type} order needs a price`);
    finitePositive('price', intent.price);
    const px = intent.price;
    const fmt = (x: number) => x.toFixed(spec.digits);
    if (intent.type === 'limit' && intent.side === 'buy' && !(px < quote.ask)) invalid('price', `a buy limit at ${fmt(px)} must be below the ask ${fmt(quote.ask)}`);
    if (intent.type === 'limit' && intent.side === 'sell' && !(px > quote.bid)) invalid('price', `a sell limit at ${fmt(px)} must be above the bid ${fmt(quote.bid)}`);
    if (intent.type === 'stop' && intent.side === 'buy' && !(px > quote.ask)) invalid('price', `a buy stop at ${fmt(px)} must be above the ask ${fmt(quote.ask)}`);
    if (intent.type === 'stop' && intent.side === 'sell' && !(px < quote.bid)) invalid('price', `a sell stop at ${fmt(px)} must be below the bid ${fmt(quote.bid)}`);
  } else {
    invalid('type', `type must be market, limit or stop, got ${String(intent.type)}`);
  }
  if (intent.trailing !== undefined) finitePositive('trailing', intent.trailing);
  if (intent.expiresAt !== undefined && (!Number.isFinite(intent.expiresAt) || intent.type === 'market')) invalid('expiresAt', 'only pending orders expire, at a finite time');
  validateStops(intent.side, entryPrice(intent, quote), intent.sl, intent.tp, spec);
}

/** Quote sanity: finite, positive, bid ≤ ask. */
export function validateQuote(q: Quote | null | undefined, symbol: string): Quote {
  if (!q || !(q.bid > 0) || !(q.ask > 0) || !Number.isFinite(q.bid) || !Number.isFinite(q.ask)) {
    throw new DomainError('NO_PRICE', `no usable price for ${symbol}`, 422, { symbol });
  }
  if (q.bid > q.ask) throw new DomainError('NO_PRICE', `crossed quote for ${symbol}: bid ${q.bid} > ask ${q.ask}`, 422, { symbol });
  return q;
}
