/**
 * How a fill changes positions, as MT5 does it.
 *
 * Netting (one position per symbol): a fill on the position's side adds volume at the
 * volume-weighted average price; an opposite fill reduces it (realising P&L on the closed
 * volume at the position's open price), closes it at exactly its volume, and reverses it
 * when larger (the rest opens on the other side at the fill price).
 *
 * Hedging (many positions per symbol): a fill opens a new position unless the order names
 * a position to close (`positionId`), which it reduces or closes; it never reverses.
 *
 * P&L of closing v lots: (exit − open) · v · contractSize · quoteToAccount, sign flipped
 * for sells. Volumes are rounded to 1e-8 lot to keep float dust out of the book.
 */
import { DomainError } from '../errors';
import type { Side, SymbolSpec } from '../../types/trading';

export interface PositionState {
  id: string;
  side: Side;
  volume: number;
  priceOpen: number;
}

export interface FillInput {
  side: Side;
  volume: number;
  price: number;
}

export type PositionChange = 'opened' | 'increased' | 'reduced' | 'closed' | 'reversed';

export interface FillEffect {
  /** The position after the fill (closed positions keep their last volume and open price). */
  position: PositionState & { closed: boolean };
  change: PositionChange;
  /** Realised P&L in account currency of the closed volume. */
  realizedPnl: number;
  closedVolume: number;
  /** Set when a netting reversal closed `position` and opened a new one (same id kept, as MT5 netting). */
  reversedFrom?: PositionState;
}

export function roundLots(v: number): number {
  return Math.round(v * 1e8) / 1e8;
}

/** P&L of closing `volume` lots of a `side` position opened at `open` at price `exit`. */
export function closePnl(side: Side, open: number, exit: number, volume: number, contractSize: number, quoteToAccount = 1): number {
  const dir = side === 'buy' ? 1 : -1;
  return dir * (exit - open) * volume * contractSize * quoteToAccount;
}

/**
 * Account-currency value of one quote-currency unit: 1 when the symbol's profit currency
 * is the account currency; 1/price when its base currency is (USDJPY in a USD account);
 * otherwise 1 (no cross rate known; documented approximation for paper accounts).
 */
export function quoteToAccount(spec: Pick<SymbolSpec, 'currency_base' | 'currency_profit'>, accountCurrency: string, price: number): number {
  if (!spec.currency_profit || spec.currency_profit === accountCurrency) return 1;
  if (spec.currency_base === accountCurrency) return 1 / price;
  return 1;
}

/** Netting: apply a fill to the symbol's position (null = flat). `newId` names a position opened by this fill. */
export function applyNettingFill(pos: PositionState | null, fill: FillInput, contractSize: number, q2a: number, newId: string): FillEffect {
  if (!(fill.volume > 0)) throw new DomainError('INVALID_FILL', `fill volume must be > 0, got ${fill.volume}`);
  if (!pos || pos.volume <= 0) {
    return { position: { id: newId, side: fill.side, volume: roundLots(fill.volume), priceOpen: fill.price, closed: false }, change: 'opened', realizedPnl: 0, closedVolume: 0 };
  }
  if (fill.side === pos.side) {
    const volume = roundLots(pos.volume + fill.volume);
    const priceOpen = (pos.priceOpen * pos.volume + fill.price * fill.volume) / (pos.volume + fill.volume);
    return { position: Object.assign({}, pos, { volume, priceOpen, closed: false }), change: 'increased', realizedPnl: 0, closedVolume: 0 };
  }
  const closing = Math.min(pos.volume, fill.volume);
  const realizedPnl = closePnl(pos.side, pos.priceOpen, fill.price, closing, contractSize, q2a);
  const rest = roundLots(fill.volume - pos.volume);
  if (rest < 0) {
    return { position: Object.assign({}, pos, { volume: roundLots(pos.volume - fill.volume), closed: false }), change: 'reduced', realizedPnl, closedVolume: closing };
  }
  if (rest === 0) {
    return { position: Object.assign({}, pos, { closed: true }), change: 'closed', realizedPnl, closedVolume: closing };
  }
  return {
    position: { id: pos.id, side: fill.side, volume: rest, priceOpen: fill.price, closed: false },
    change: 'reversed',
    realizedPnl,
    closedVolume: closing,
    reversedFrom: pos,
  };
}

/**
 * Hedging: a fill without `target` opens a new position; with `target` (the position the
 * order closes, which must be on the opposite side) it reduces or closes it, never beyond.
 */
export function applyHedgingFill(target: PositionState | null, fill: FillInput, contractSize: number, q2a: number, newId: string): FillEffect {
  if (!(fill.volume > 0)) throw new DomainError('INVALID_FILL', `fill volume must be > 0, got ${fill.volume}`);
  if (!target) {
    return { position: { id: newId, side: fill.side, volume: roundLots(fill.volume), priceOpen: fill.price, closed: false }, change: 'opened', realizedPnl: 0, closedVolume: 0 };
  }
  if (target.side === fill.side) throw new DomainError('INVALID_ORDER', `order to close position ${target.id} must be on the opposite side (${target.side === 'buy' ? 'sell' : 'buy'})`, 422, { field: 'side' });
  if (fill.volume > target.volume + 1e-9) throw new DomainError('INVALID_ORDER', `cannot close ${fill.volume} lots of position ${target.id}, which has ${target.volume}`, 422, { field: 'volume' });
  const realizedPnl = closePnl(target.side, target.priceOpen, fill.price, fill.volume, contractSize, q2a);
  const left = roundLots(target.volume - fill.volume);
  if (left <= 0) return { position: Object.assign({}, target, { closed: true }), change: 'closed', realizedPnl, closedVolume: target.volume };
  return { position: Object.assign({}, target, { volume: left, closed: false }), change: 'reduced', realizedPnl, closedVolume: fill.volume };
}

/** Unrealised P&L of an open position marked at the side it would close on (long at bid, short at ask). */
export function unrealizedPnl(p: { side: Side; volume: number; priceOpen: number }, bid: number, ask: number, contractSize: number, q2a = 1): number {
  return closePnl(p.side, p.priceOpen, p.side === 'buy' ? bid : ask, p.volume, contractSize, q2a);
}
