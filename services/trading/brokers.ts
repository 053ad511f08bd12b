/**
 * The broker port and its two adapters.
 *
 * `route` takes an order already persisted in `new` and says what the broker did with
 * it. The engine turns that into state changes, fills and positions (one code path for
 * both brokers).
 *
 * - paper: market orders fill at once against the live bid/ask (buys at the ask, sells
 *   at the bid, with the account's slippage); pending orders are accepted and filled
 *   later by the engine from the tick stream (lib/trading/paper.ts rules).
 * - mt5: one `order` command through the gateway (`mt5-gateway.send({account, message})`,
 *   MqlTradeRequest names, `id` = our order id, which the EA writes into the comment);
 *   the correlated `order_result` decides: DONE → fill, PLACED → accepted,
 *   DONE_PARTIAL → partial fill, anything else → rejected with the retcode; a timeout
 *   → `unknown`, never retried (reconciled from the EA's snapshots).
 */
import type { Order, Quote, SymbolSpec } from '../../types/trading';
import { marketFillPrice, PaperSettings } from '../../lib/trading/paper';

export type RouteResult =
  | { kind: 'fill'; price: number; volume: number; deal?: string | null; brokerOrder?: string | null; ticket?: string | null; note?: string }
  | { kind: 'accepted'; brokerOrder?: string | null; note?: string }
  | { kind: 'rejected'; reason: string }
  | { kind: 'unknown'; reason: string };

export interface RouteContext {
  spec: SymbolSpec;
  quote: Quote | null;
  settings: PaperSettings;
  /** Broker ticket of the position a closing order targets (MT5). */
  positionTicket?: string | null;
}

export interface Broker {
  readonly kind: 'paper' | 'mt5';
  route(order: Order, ctx: RouteContext): Promise<RouteResult>;
  /** Cancel a working order at the broker; true when it is gone. */
  cancel(order: Order): Promise<{ ok: true } | { ok: false; reason: string }>;
  /** Move SL/TP of a broker position (live) — paper keeps them in the engine. */
  modifyPosition?(accountId: string, ticket: string, sl: number | null, tp: number | null): Promise<{ ok: true } | { ok: false; reason: string }>;
}

export class PaperBroker implements Broker {
  readonly kind = 'paper' as const;

  async route(order: Order, ctx: RouteContext): Promise<RouteResult> {
    if (order.type !== 'market') return { kind: 'accepted', note: 'working at the paper broker' };
    if (!ctx.quote) return { kind: 'rejected', reason: `no price for ${order.symbol}` };
    const price = marketFillPrice(order.side, ctx.quote, ctx.settings.slippagePoints, ctx.spec.point);
    return { kind: 'fill', price, volume: order.volume, note: `paper fill at ${order.side === 'buy' ? 'ask' : 'bid'} ${ctx.quote[order.side === 'buy' ? 'ask' : 'bid']}` };
  }

  async cancel(): Promise<{ ok: true }> {
    return { ok: true };
  }
}

// ------------------------------------------------------------------ MT5

/** A trade command as the gateway forwards it to the EA (mt5-gateway/PROTOCOL.md names). */
export type Mt5Command =
  | {
      type: 'order';
      id: string;
      action: 'deal' | 'pending';
      symbol: string;
      volume: number;
      order_type: 'buy' | 'sell' | 'buy_limit' | 'sell_limit' | 'buy_stop' | 'sell_stop';
      price?: number;
      sl?: number;
      tp?: number;
      deviation?: number;
      comment?: string;
      position?: string;
      expiration?: number;
    }
  | { type: 'modify'; id: string; ticket: string; sl?: number; tp?: number; price?: number }
  | { type: 'close'; id: string; ticket: string }
  | { type: 'close_partial'; id: string; ticket: string; volume: number }
  | { type: 'cancel'; id: string; ticket: string };

export type Mt5Reply =
  | { outcome: 'unknown'; reason?: string }
  | { retcode: number; order?: string; deal?: string; position?: string; volume?: number; price?: number; comment?: string; retcode_external?: number };

/** How trading reaches the gateway: `mt5-gateway.send` behind a function (injected by the service). */
export type Mt5Send = (account: string, message: Mt5Command) => Promise<Mt5Reply>;

/** MQL5 TRADE_RETCODE_* values this adapter interprets. */
export const RETCODE = { PLACED: 10008, DONE: 10009, DONE_PARTIAL: 10010 } as const;

/** Thrown by an Mt5Send when the request provably never left (no gateway): safe to reject. */
export class GatewayUnreachable extends Error {}

export class Mt5Broker implements Broker {
  readonly kind = 'mt5' as const;

  constructor(
    private readonly send: Mt5Send,
    private readonly opts: { deviationPoints: number } = { deviationPoints: 10 },
  ) {}

  async route(order: Order, ctx: RouteContext): Promise<RouteResult> {
    const pending = order.type !== 'market';
    const cmd: Mt5Command = {
      type: 'order',
      id: order.id,
      action: pending ? 'pending' : 'deal',
      symbol: order.symbol,
      volume: order.volume,
      order_type: pending ? (`${order.side}_${order.type}` as 'buy_limit') : order.side,
      deviation: this.opts.deviationPoints,
    };
    if (order.price !== null) cmd.price = order.price;
    if (order.sl !== null) cmd.sl = order.sl;
    if (order.tp !== null) cmd.tp = order.tp;
    if (ctx.positionTicket) cmd.position = ctx.positionTicket;
    if (order.expiresAt !== null) cmd.expiration = order.expiresAt;
    let reply: Mt5Reply;
    try {
      reply = await this.send(order.accountId, cmd);
    } catch (e) {
      if (e instanceof GatewayUnreachable) return { kind: 'rejected', reason: `MT5 gateway unreachable: ${e.message}` };
      return { kind: 'unknown', reason: `no answer from the gateway: ${(e as Error).message}` };
    }
    return interpretReply(order, reply, pending);
  }

  async cancel(order: Order): Promise<{ ok: true } | { ok: false; reason: string }> {
    if (!order.brokerOrder) return { ok: false, reason: 'the order has no MT5 ticket yet' };
    try {
      const r = await this.send(order.accountId, { type: 'cancel', id: `${order.id}:x`, ticket: order.brokerOrder });
      if ('outcome' in r) return { ok: false, reason: 'no answer from the terminal; the cancel may still happen' };
      return r.retcode === RETCODE.DONE ? { ok: true } : { ok: false, reason: `retcode ${r.retcode}${r.comment ? ': ' + r.comment : ''}` };
    } catch (e) {
      return { ok: false, reason: (e as Error).message };
    }
  }

  async modifyPosition(accountId: string, ticket: string, sl: number | null, tp: number | null): Promise<{ ok: true } | { ok: false; reason: string }> {
    try {
      const cmd: Mt5Command = { type: 'modify', id: `m:${ticket}:${sl ?? ''}:${tp ?? ''}`, ticket };
      if (sl !== null) cmd.sl = sl;
      if (tp !== null) cmd.tp = tp;
      const r = await this.send(accountId, cmd);
      if ('outcome' in r) return { ok: false, reason: 'no answer from the terminal' };
      return r.retcode === RETCODE.DONE ? { ok: true } : { ok: false, reason: `retcode ${r.retcode}${r.comment ? ': ' + r.comment : ''}` };
    } catch (e) {
      return { ok: false, reason: (e as Error).message };
    }
  }
}

/** Map an `order_result` to a route result. */
export function interpretReply(order: Order, reply: Mt5Reply, pending: boolean): RouteResult {
  if ('outcome' in reply) return { kind: 'unknown', reason: reply.reason ?? 'the terminal did not answer in time' };
  const ticket = reply.order && reply.order !== '0' ? reply.order : null;
  if (reply.retcode === RETCODE.PLACED || (pending && reply.retcode === RETCODE.DONE)) return { kind: 'accepted', brokerOrder: ticket };
  if ((reply.retcode === RETCODE.DONE || reply.retcode === RETCODE.DONE_PARTIAL) && reply.volume !== undefined && reply.volume > 0 && reply.price !== undefined && reply.price > 0) {
    return { kind: 'fill', price: reply.price, volume: Math.min(reply.volume, order.volume), deal: reply.deal ?? null, brokerOrder: ticket, ticket: reply.position ?? null, note: `MT5 retcode ${reply.retcode}` };
  }
  if (reply.retcode === RETCODE.DONE || reply.retcode === RETCODE.DONE_PARTIAL) return { kind: 'accepted', brokerOrder: ticket, note: `MT5 retcode ${reply.retcode} without a deal yet` };
  return { kind: 'rejected', reason: `MT5 retcode ${reply.retcode}${reply.retcode_external ? ` (external ${reply.retcode_external})` : ''}${reply.comment ? ': ' + reply.comment : ''}` };
}
