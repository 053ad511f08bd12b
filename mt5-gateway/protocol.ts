/**
 * The MT5 wire (mt5-gateway/PROTOCOL.md is the spec; this file is its executable form).
 *
 * One JSON object per line, UTF-8, `\n` (a trailing `\r` is tolerated). Every
 * message names itself in `type`. The EA (or any client speaking the protocol)
 * connects out to the gateway; "inbound" below means EA → gateway.
 *
 * The parser never throws: every line becomes either a typed message or a
 * `ParseFailure` carrying a stable error code, so a flood of garbage costs one
 * counter increment per line and nothing else. It allocates nothing beyond what
 * `JSON.parse` produces: fields are checked and normalised (tickets to strings)
 * in place on the parsed object.
 */

export const PROTOCOL_VERSION = 1;
/** A line longer than this (bytes, without the newline) is discarded unread. */
export const MAX_LINE_BYTES = 64 * 1024;
/** Order ids are the idempotency key and travel in the order comment as `p2:<id>` (MT5 comments hold 31 chars). */
export const ORDER_ID_RE = /^[A-Za-z0-9_-]{1,28}$/;
export const ORDER_COMMENT_PREFIX = 'p2:';
const COMMENT_ID_RE = /^p2:([A-Za-z0-9_-]{1,28})(?![A-Za-z0-9_-])/;
const SYMBOL_MAX = 64;

// ---------------------------------------------------------------- error codes

/** Stable error codes of the `error` message (PROTOCOL.md §Errors). */
export const ERROR_CODES = [
  // one bad line; the connection stays open
  'BAD_JSON',
  'LINE_TOO_LONG',
  'NOT_OBJECT',
  'MISSING_TYPE',
  'UNKNOWN_TYPE',
  'MISSING_FIELD',
  'BAD_FIELD',
  'BAD_SEQ',
  'NOT_AUTHENTICATED',
  'DUPLICATE_HELLO',
  // the connection is closed after the error
  'BAD_TOKEN',
  'ACCOUNT_MISMATCH',
  'UNSUPPORTED_PROTOCOL',
  'SESSION_REPLACED',
  'HEARTBEAT_TIMEOUT',
  'SLOW_CONSUMER',
  'SHUTDOWN',
  'INTERNAL',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** Codes after which the gateway closes the connection. */
export const FATAL_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['BAD_TOKEN', 'ACCOUNT_MISMATCH', 'UNSUPPORTED_PROTOCOL', 'SESSION_REPLACED', 'HEARTBEAT_TIMEOUT', 'SLOW_CONSUMER', 'SHUTDOWN', 'INTERNAL']);

/** Why a line was refused. `field` names the offending field (`symbols[3].digits`), `fields` the missing ones. */
export class ParseFailure {
  constructor(
    readonly code: ErrorCode,
    readonly message: string,
    readonly field?: string,
    readonly fields?: string[],
  ) {}
}

// ---------------------------------------------------------------- shared value types

/** A 64-bit MT5 ticket (order, deal, position) as a decimal string; "0" means none. */
export type Ticket = string;

export type MarginMode = 'netting' | 'hedging' | 'exchange';
export type AccountTradeMode = 'demo' | 'contest' | 'real';
/** ENUM_ORDER_TYPE without the `ORDER_TYPE_` prefix, lower-cased. */
export type OrderType = 'buy' | 'sell' | 'buy_limit' | 'sell_limit' | 'buy_stop' | 'sell_stop' | 'buy_stop_limit' | 'sell_stop_limit' | 'close_by';
export const ORDER_TYPES: readonly OrderType[] = ['buy', 'sell', 'buy_limit', 'sell_limit', 'buy_stop', 'sell_stop', 'buy_stop_limit', 'sell_stop_limit', 'close_by'];
/** ENUM_ORDER_TYPE_FILLING without prefix. Absent = the EA picks from the symbol's allowed modes. */
export type FillingType = 'fok' | 'ioc' | 'return' | 'boc';
export const FILLING_TYPES: readonly FillingType[] = ['fok', 'ioc', 'return', 'boc'];
/** ENUM_ORDER_TYPE_TIME without prefix. */
export type OrderTimeType = 'gtc' | 'day' | 'specified' | 'specified_day';
export const ORDER_TIME_TYPES: readonly OrderTimeType[] = ['gtc', 'day', 'specified', 'specified_day'];
/** TRADE_ACTION_DEAL / TRADE_ACTION_PENDING for `order`; the other actions have their own messages. */
export type OrderAction = 'deal' | 'pending';

/** SYMBOL_FILLING_MODE flag bits. */
export const SYMBOL_FILLING_FOK = 1;
export const SYMBOL_FILLING_IOC = 2;
export const SYMBOL_FILLING_BOC = 4;

// ---------------------------------------------------------------- inbound (EA → gateway)

export interface HelloMsg {
  type: 'hello';
  protocol: number;
  token: string;
  /** ACCOUNT_LOGIN as a decimal string. */
  login: string;
  /** ACCOUNT_SERVER. */
  server: string;
  /** Trade server clock minus UTC, seconds (TimeTradeServer() − TimeGMT(), rounded to 15 min): +10800 for UTC+3. */
  server_offset_sec: number;
  ea?: string;
  version?: string;
  /** TERMINAL_BUILD. */
  build?: number;
  /** ACCOUNT_COMPANY. */
  company?: string;
  /** ACCOUNT_NAME. */
  name?: string;
  currency?: string;
  leverage?: number;
  margin_mode?: MarginMode;
  trade_mode?: AccountTradeMode;
  /** TERMINAL_TRADE_ALLOWED && ACCOUNT_TRADE_EXPERT. */
  trade_allowed?: boolean;
  /** TERMINAL_CONNECTED: the terminal is connected to the broker. */
  connected?: boolean;
}

/** One symbol's specification, SYMBOL_* names lower-cased without the prefix. */
export interface SymbolSpec {
  name: string;
  digits: number;
  point: number;
  description?: string;
  path?: string;
  trade_tick_size?: number;
  trade_tick_value?: number;
  trade_contract_size?: number;
  volume_min?: number;
  volume_max?: number;
  volume_step?: number;
  /** Points. */
  trade_stops_level?: number;
  /** Points. */
  trade_freeze_level?: number;
  /** SYMBOL_FILLING_MODE flags: 1 FOK, 2 IOC, 4 BOC. */
  filling_mode?: number;
  /** SYMBOL_TRADE_MODE: disabled | longonly | shortonly | closeonly | full. */
  trade_mode?: string;
  /** SYMBOL_TRADE_EXEMODE: request | instant | market | exchange. */
  trade_exemode?: string;
  currency_base?: string;
  currency_profit?: string;
  currency_margin?: string;
  /** Seven days (Sunday first) of [from_sec, to_sec] pairs since midnight, server clock. */
  sessions_quote?: number[][][];
  sessions_trade?: number[][][];
  [extra: string]: unknown;
}

export interface SymbolsMsg {
  type: 'symbols';
  symbols: SymbolSpec[];
  /** Entries refused by validation (the valid ones are kept). */
  rejected?: { index: number; code: ErrorCode; field?: string }[];
}

export interface TickMsg {
  type: 'tick';
  /** 1, 2, 3 … over the session, across all symbols. */
  seq: number;
  /** Broker's symbol name as in `symbols`. */
  symbol: string;
  /** MqlTick.time_msc: ms since 1970 on the trade server's clock. */
  time_msc: number;
  bid: number;
  ask: number;
  last?: number;
  volume?: number;
  volume_real?: number;
  flags?: number;
}

export interface TradeTransactionMsg {
  type: 'trade_transaction';
  /** MqlTradeTransaction; tickets (deal, order, position, position_by) as strings. */
  transaction: Record<string, unknown> & { type: string; deal?: Ticket; order?: Ticket; position?: Ticket; position_by?: Ticket; symbol?: string };
  /** MqlTradeRequest (for `request` transactions). */
  request?: Record<string, unknown> & { comment?: string; order?: Ticket; position?: Ticket };
  /** MqlTradeResult (for `request` transactions). */
  result?: Record<string, unknown> & { retcode?: number; order?: Ticket; deal?: Ticket };
  time_msc?: number;
}

export interface OrderResultMsg {
  type: 'order_result';
  /** The `id` of the order/modify/close/close_partial/cancel this answers. */
  id: string;
  /** MqlTradeResult.retcode (TRADE_RETCODE_*), or the OrderCheck retcode when the check refused. */
  retcode: number;
  retcode_external?: number;
  deal?: Ticket;
  order?: Ticket;
  position?: Ticket;
  volume?: number;
  price?: number;
  bid?: number;
  ask?: number;
  comment?: string;
  request_id?: number;
  /** True when the EA recognised the id as already executed and did not send it again. */
  duplicate?: boolean;
  /** The OrderCheck result when the check itself failed (MqlTradeCheckResult names). */
  check?: Record<string, unknown>;
  /** Volume after rounding to the step, price after rounding to digits, filling chosen. */
  sent?: Record<string, unknown>;
  time_msc?: number;
}

export interface AccountMsg {
  type: 'account';
  balance: number;
  equity: number;
  margin?: number;
  margin_free?: number;
  margin_level?: number;
  profit?: number;
  credit?: number;
  currency?: string;
  leverage?: number;
  time_msc?: number;
  [extra: string]: unknown;
}

export interface PositionItem {
  ticket: Ticket;
  identifier?: Ticket;
  symbol: string;
  type: 'buy' | 'sell';
  volume: number;
  price_open?: number;
  price_current?: number;
  sl?: number;
  tp?: number;
  profit?: number;
  swap?: number;
  magic?: number;
  comment?: string;
  time_msc?: number;
  [extra: string]: unknown;
}

export interface OrderItem {
  ticket: Ticket;
  symbol: string;
  type: string;
  state?: string;
  volume_initial?: number;
  volume_current?: number;
  price_open?: number;
  sl?: number;
  tp?: number;
  magic?: number;
  comment?: string;
  position_id?: Ticket;
  time_setup_msc?: number;
  [extra: string]: unknown;
}

export interface DealItem {
  ticket: Ticket;
  order?: Ticket;
  position_id?: Ticket;
  symbol?: string;
  type?: string;
  entry?: string;
  volume?: number;
  price?: number;
  profit?: number;
  magic?: number;
  comment?: string;
  time_msc?: number;
  [extra: string]: unknown;
}

export interface PositionsMsg {
  type: 'positions';
  positions: PositionItem[];
  time_msc?: number;
}

export interface OrdersMsg {
  type: 'orders';
  orders: OrderItem[];
  time_msc?: number;
}

export interface HistoryMsg {
  type: 'history';
  request_id?: string;
  from_msc?: number;
  to_msc?: number;
  deals: DealItem[];
  orders: OrderItem[];
}

export interface StatusMsg {
  type: 'status';
  /** TERMINAL_CONNECTED. */
  connected: boolean;
  trade_allowed?: boolean;
  server_offset_sec?: number;
  /** TERMINAL_PING_LAST, µs. */
  ping_last?: number;
  reason?: string;
}

export interface PingMsg {
  type: 'ping';
  id?: string | number;
  time?: number;
}

export interface PongMsg {
  type: 'pong';
  id?: string | number;
  /** The sender's wall clock, ms since 1970 UTC. */
  time?: number;
}

export type InboundMessage =
  | HelloMsg
  | SymbolsMsg
  | TickMsg
  | TradeTransactionMsg
  | OrderResultMsg
  | AccountMsg
  | PositionsMsg
  | OrdersMsg
  | HistoryMsg
  | StatusMsg
  | PingMsg
  | PongMsg;
export type InboundType = InboundMessage['type'];

// ---------------------------------------------------------------- outbound (gateway → EA)

export interface WelcomeMsg {
  type: 'welcome';
  session: string;
  protocol: number;
  /** The gateway pings this often; the EA drops the connection after 3 silent intervals. */
  heartbeat_sec: number;
  /** Last stored tick per broker symbol, server clock ms. Resend from last_time_msc + 1 (CopyTicksRange). */
  last_time_msc: Record<string, number>;
  /** Gateway wall clock, ms UTC. */
  server_time: number;
  max_line_bytes: number;
}

/** Answer to every `symbols` message: where to start each of its symbols (absent from the map = from now). */
export interface BackfillMsg {
  type: 'backfill';
  /** Every name of the `symbols` message this answers. */
  symbols: string[];
  last_time_msc: Record<string, number>;
}

export interface OrderCmd {
  type: 'order';
  id: string;
  action: OrderAction;
  symbol: string;
  volume: number;
  order_type: OrderType;
  price?: number;
  stoplimit?: number;
  sl?: number;
  tp?: number;
  /** Points. */
  deviation?: number;
  magic?: number;
  /** Free text after the `p2:<id>` the EA writes; the whole comment is cut to 31 chars. */
  comment?: string;
  /** Position ticket for a netting/hedging close or reversal through `order`. */
  position?: Ticket;
  position_by?: Ticket;
  type_filling?: FillingType;
  type_time?: OrderTimeType;
  /** Server clock ms (ORDER_TIME_SPECIFIED). */
  expiration?: number;
}

export interface ModifyCmd {
  type: 'modify';
  id: string;
  /** A position (SL/TP: TRADE_ACTION_SLTP) or a pending order (TRADE_ACTION_MODIFY). */
  ticket: Ticket;
  sl?: number;
  tp?: number;
  price?: number;
  stoplimit?: number;
  type_time?: OrderTimeType;
  expiration?: number;
}

export interface CloseCmd {
  type: 'close';
  id: string;
  ticket: Ticket;
  deviation?: number;
  type_filling?: FillingType;
}

export interface ClosePartialCmd {
  type: 'close_partial';
  id: string;
  ticket: Ticket;
  volume: number;
  deviation?: number;
  type_filling?: FillingType;
}

export interface CancelCmd {
  type: 'cancel';
  id: string;
  ticket: Ticket;
}

export type TradeCommand = OrderCmd | ModifyCmd | CloseCmd | ClosePartialCmd | CancelCmd;
export type TradeCommandType = TradeCommand['type'];
export const TRADE_COMMAND_TYPES: readonly TradeCommandType[] = ['order', 'modify', 'close', 'close_partial', 'cancel'];

export interface HistoryRequestMsg {
  type: 'history_request';
  request_id: string;
  /** Server clock ms. */
  from_msc: number;
  to_msc: number;
}

export interface ErrorMsg {
  type: 'error';
  code: ErrorCode;
  message: string;
  field?: string;
  fields?: string[];
  /** The connection closes after this error. */
  fatal?: boolean;
  /** How many further errors were suppressed by the rate limit since the last one sent. */
  suppressed?: number;
}

export type OutboundMessage = WelcomeMsg | BackfillMsg | TradeCommand | HistoryRequestMsg | PingMsg | PongMsg | ErrorMsg;
export type OutboundType = OutboundMessage['type'];

// ---------------------------------------------------------------- field checks

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isFiniteNum(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v);
}

/** A ticket from a JSON number (safe integer) or decimal string; null when neither. */
export function normalizeTicket(v: unknown): Ticket | null {
  if (typeof v === 'string') return /^\d{1,20}$/.test(v) ? v : null;
  if (isInt(v) && v >= 0) return String(v);
  return null;
}

/** Message for MISSING_FIELD naming every missing field. */
function missing(type: string, fields: string[]): ParseFailure {
  return new ParseFailure('MISSING_FIELD', `${type}: missing ${fields.join(', ')}`, fields[0], fields);
}

function bad(type: string, field: string, expected: string): ParseFailure {
  return new ParseFailure('BAD_FIELD', `${type}.${field}: expected ${expected}`, field);
}

/** Required fields absent from `o` (undefined or null count as absent). */
function absent(o: Obj, names: readonly string[]): string[] | null {
  let out: string[] | null = null;
  for (const n of names) {
    if (o[n] === undefined || o[n] === null) (out ??= []).push(n);
  }
  return out;
}

// Optional-field checkers: return the field name when present and wrong, else null.
function optNum(o: Obj, names: readonly string[]): string | null {
  for (const n of names) {
    const v = o[n];
    if (v !== undefined && v !== null && !isFiniteNum(v)) return n;
  }
  return null;
}
function optInt(o: Obj, names: readonly string[]): string | null {
  for (const n of names) {
    const v = o[n];
    if (v !== undefined && v !== null && !isInt(v)) return n;
  }
  return null;
}
function optStr(o: Obj, names: readonly string[]): string | null {
  for (const n of names) {
    const v = o[n];
    if (v !== undefined && v !== null && typeof v !== 'string') return n;
  }
  return null;
}
function optBool(o: Obj, names: readonly string[]): string | null {
  for (const n of names) {
    const v = o[n];
    if (v !== undefined && v !== null && typeof v !== 'boolean') return n;
  }
  return null;
}
/** Normalise ticket fields in place; returns the first bad field name. */
function optTickets(o: Obj, names: readonly string[]): string | null {
  for (const n of names) {
    const v = o[n];
    if (v === undefined || v === null) continue;
    const t = normalizeTicket(v);
    if (t === null) return n;
    o[n] = t;
  }
  return null;
}

// ---------------------------------------------------------------- inbound validators

function vHello(o: Obj): HelloMsg | ParseFailure {
  const miss = absent(o, ['protocol', 'token', 'login', 'server', 'server_offset_sec']);
  if (miss) return missing('hello', miss);
  if (!isInt(o.protocol)) return bad('hello', 'protocol', 'an integer');
  if (typeof o.token !== 'string' || o.token.length === 0 || o.token.length > 256) return bad('hello', 'token', 'a string');
  const login = normalizeTicket(o.login);
  if (login === null || login === '0') return bad('hello', 'login', 'a positive integer or decimal string');
  o.login = login;
  if (typeof o.server !== 'string' || o.server.length === 0 || o.server.length > 128) return bad('hello', 'server', 'a non-empty string');
  if (!isInt(o.server_offset_sec) || Math.abs(o.server_offset_sec) > 86_400) return bad('hello', 'server_offset_sec', 'an integer number of seconds within ±86400');
  const f = optStr(o, ['ea', 'version', 'company', 'name', 'currency']) ?? optInt(o, ['build', 'leverage']) ?? optBool(o, ['trade_allowed', 'connected']);
  if (f) return bad('hello', f, 'the MQL5 type');
  if (o.margin_mode != null && o.margin_mode !== 'netting' && o.margin_mode !== 'hedging' && o.margin_mode !== 'exchange') return bad('hello', 'margin_mode', 'netting | hedging | exchange');
  if (o.trade_mode != null && o.trade_mode !== 'demo' && o.trade_mode !== 'contest' && o.trade_mode !== 'real') return bad('hello', 'trade_mode', 'demo | contest | real');
  return o as unknown as HelloMsg;
}

const SPEC_NUMS = ['trade_tick_size', 'trade_tick_value', 'trade_contract_size', 'volume_min', 'volume_max', 'volume_step'] as const;
const SPEC_INTS = ['trade_stops_level', 'trade_freeze_level', 'filling_mode'] as const;
const SPEC_STRS = ['description', 'path', 'trade_mode', 'trade_exemode', 'currency_base', 'currency_profit', 'currency_margin'] as const;

/** Validate one symbol spec; returns the bad field name or null. */
function specError(s: unknown): { code: ErrorCode; field: string } | null {
  if (!isObj(s)) return { code: 'BAD_FIELD', field: '' };
  if (s.name == null) return { code: 'MISSING_FIELD', field: 'name' };
  if (typeof s.name !== 'string' || s.name.length === 0 || s.name.length > SYMBOL_MAX) return { code: 'BAD_FIELD', field: 'name' };
  if (s.digits == null) return { code: 'MISSING_FIELD', field: 'digits' };
  if (!isInt(s.digits) || s.digits < 0 || s.digits > 15) return { code: 'BAD_FIELD', field: 'digits' };
  if (s.point == null) return { code: 'MISSING_FIELD', field: 'point' };
  if (!isFiniteNum(s.point) || s.point <= 0) return { code: 'BAD_FIELD', field: 'point' };
  const f = optNum(s, SPEC_NUMS) ?? optInt(s, SPEC_INTS) ?? optStr(s, SPEC_STRS);
  if (f) return { code: 'BAD_FIELD', field: f };
  return null;
}

function vSymbols(o: Obj): SymbolsMsg | ParseFailure {
  if (o.symbols == null) return missing('symbols', ['symbols']);
  if (!Array.isArray(o.symbols)) return bad('symbols', 'symbols', 'an array of symbol specs');
  const list = o.symbols as unknown[];
  let rejected: SymbolsMsg['rejected'];
  let keep: SymbolSpec[] | null = null;
  for (let i = 0; i < list.length; i++) {
    const err = specError(list[i]);
    if (err) {
      (rejected ??= []).push({ index: i, code: err.code, field: err.field ? `symbols[${i}].${err.field}` : `symbols[${i}]` });
      keep ??= list.slice(0, i) as SymbolSpec[];
    } else if (keep) keep.push(list[i] as SymbolSpec);
  }
  if (keep) o.symbols = keep;
  if (rejected) o.rejected = rejected;
  return o as unknown as SymbolsMsg;
}

function vTick(o: Obj): TickMsg | ParseFailure {
  // Hot path: one check per field, no allocation unless something is wrong.
  const seq = o.seq;
  const symbol = o.symbol;
  const t = o.time_msc;
  const bid = o.bid;
  const ask = o.ask;
  if (seq == null || symbol == null || t == null || bid == null || ask == null) {
    return missing('tick', absent(o, ['seq', 'symbol', 'time_msc', 'bid', 'ask']) ?? []);
  }
  if (!isInt(seq) || seq < 1) return bad('tick', 'seq', 'a positive integer');
  if (typeof symbol !== 'string' || symbol.length === 0 || symbol.length > SYMBOL_MAX) return bad('tick', 'symbol', 'a symbol name');
  if (!isInt(t) || t <= 0) return bad('tick', 'time_msc', 'ms since 1970 (integer)');
  if (!isFiniteNum(bid)) return bad('tick', 'bid', 'a finite number');
  if (!isFiniteNum(ask)) return bad('tick', 'ask', 'a finite number');
  if (o.last !== undefined || o.volume !== undefined || o.volume_real !== undefined || o.flags !== undefined) {
    const f = optNum(o, ['last', 'volume', 'volume_real']) ?? optInt(o, ['flags']);
    if (f) return bad('tick', f, 'a number');
  }
  return o as unknown as TickMsg;
}

function vTradeTransaction(o: Obj): TradeTransactionMsg | ParseFailure {
  if (o.transaction == null) return missing('trade_transaction', ['transaction']);
  const tr = o.transaction;
  if (!isObj(tr)) return bad('trade_transaction', 'transaction', 'an object (MqlTradeTransaction)');
  if (typeof tr.type !== 'string') return bad('trade_transaction', 'transaction.type', 'a transaction type name');
  let f = optTickets(tr, ['deal', 'order', 'position', 'position_by']);
  if (f) return bad('trade_transaction', 'transaction.' + f, 'a ticket');
  if (o.request != null) {
    if (!isObj(o.request)) return bad('trade_transaction', 'request', 'an object (MqlTradeRequest)');
    f = optTickets(o.request, ['order', 'position', 'position_by']);
    if (f) return bad('trade_transaction', 'request.' + f, 'a ticket');
  }
  if (o.result != null) {
    if (!isObj(o.result)) return bad('trade_transaction', 'result', 'an object (MqlTradeResult)');
    f = optTickets(o.result, ['order', 'deal']);
    if (f) return bad('trade_transaction', 'result.' + f, 'a ticket');
  }
  return o as unknown as TradeTransactionMsg;
}

function vOrderResult(o: Obj): OrderResultMsg | ParseFailure {
  const miss = absent(o, ['id', 'retcode']);
  if (miss) return missing('order_result', miss);
  if (typeof o.id !== 'string' || !ORDER_ID_RE.test(o.id)) return bad('order_result', 'id', 'an order id');
  if (!isInt(o.retcode)) return bad('order_result', 'retcode', 'an integer (TRADE_RETCODE_*)');
  const f = optInt(o, ['retcode_external', 'request_id']) ?? optNum(o, ['volume', 'price', 'bid', 'ask']) ?? optStr(o, ['comment']) ?? optBool(o, ['duplicate']) ?? optTickets(o, ['deal', 'order', 'position']);
  if (f) return bad('order_result', f, 'the MqlTradeResult type');
  return o as unknown as OrderResultMsg;
}

function vAccount(o: Obj): AccountMsg | ParseFailure {
  const miss = absent(o, ['balance', 'equity']);
  if (miss) return missing('account', miss);
  const f = optNum(o, ['balance', 'equity', 'margin', 'margin_free', 'margin_level', 'profit', 'credit']) ?? optInt(o, ['leverage', 'time_msc']) ?? optStr(o, ['currency']);
  if (f) return bad('account', f, 'a number');
  return o as unknown as AccountMsg;
}

/** Validate an array of snapshot items that each carry a ticket. */
function itemsError(type: string, field: string, v: unknown, extraTickets: readonly string[]): ParseFailure | null {
  if (!Array.isArray(v)) return bad(type, field, 'an array');
  for (let i = 0; i < v.length; i++) {
    const it = v[i];
    if (!isObj(it)) return bad(type, `${field}[${i}]`, 'an object');
    const t = normalizeTicket(it.ticket);
    if (t === null) return it.ticket == null ? missing(type, [`${field}[${i}].ticket`]) : bad(type, `${field}[${i}].ticket`, 'a ticket');
    it.ticket = t;
    const f = optTickets(it, extraTickets) ?? optStr(it, ['symbol', 'comment']) ?? optNum(it, ['volume', 'price', 'price_open', 'sl', 'tp', 'profit']);
    if (f) return bad(type, `${field}[${i}].${f}`, 'the MQL5 type');
  }
  return null;
}

function vPositions(o: Obj): PositionsMsg | ParseFailure {
  if (o.positions == null) return missing('positions', ['positions']);
  return itemsError('positions', 'positions', o.positions, ['identifier']) ?? (o as unknown as PositionsMsg);
}

function vOrders(o: Obj): OrdersMsg | ParseFailure {
  if (o.orders == null) return missing('orders', ['orders']);
  return itemsError('orders', 'orders', o.orders, ['position_id']) ?? (o as unknown as OrdersMsg);
}

function vHistory(o: Obj): HistoryMsg | ParseFailure {
  o.deals ??= [];
  o.orders ??= [];
  const f = optStr(o, ['request_id']) ?? optInt(o, ['from_msc', 'to_msc']);
  if (f) return bad('history', f, f === 'request_id' ? 'a string' : 'ms (integer)');
  return itemsError('history', 'deals', o.deals, ['order', 'position_id']) ?? itemsError('history', 'orders', o.orders, ['position_id']) ?? (o as unknown as HistoryMsg);
}

function vStatus(o: Obj): StatusMsg | ParseFailure {
  if (o.connected == null) return missing('status', ['connected']);
  if (typeof o.connected !== 'boolean') return bad('status', 'connected', 'a boolean');
  const f = optBool(o, ['trade_allowed']) ?? optInt(o, ['server_offset_sec', 'ping_last']) ?? optStr(o, ['reason']);
  if (f) return bad('status', f, 'the MQL5 type');
  if (o.server_offset_sec != null && Math.abs(o.server_offset_sec as number) > 86_400) return bad('status', 'server_offset_sec', 'seconds within ±86400');
  return o as unknown as StatusMsg;
}

function vPingPong(o: Obj): PingMsg | PongMsg | ParseFailure {
  if (o.id != null && typeof o.id !== 'string' && !isInt(o.id)) return bad(o.type as string, 'id', 'a string or integer');
  if (o.time != null && !isInt(o.time)) return bad(o.type as string, 'time', 'ms since 1970 UTC (integer)');
  return o as unknown as PingMsg;
}

const INBOUND: Record<InboundType, (o: Obj) => InboundMessage | ParseFailure> = {
  hello: vHello,
  symbols: vSymbols,
  tick: vTick,
  trade_transaction: vTradeTransaction,
  order_result: vOrderResult,
  account: vAccount,
  positions: vPositions,
  orders: vOrders,
  history: vHistory,
  status: vStatus,
  ping: vPingPong,
  pong: vPingPong,
};
export const INBOUND_TYPES = Object.keys(INBOUND) as InboundType[];

// ---------------------------------------------------------------- outbound validators

function optFilling(o: Obj): string | null {
  return o.type_filling != null && !FILLING_TYPES.includes(o.type_filling as FillingType) ? 'type_filling' : null;
}
function optTimeType(o: Obj): string | null {
  return o.type_time != null && !ORDER_TIME_TYPES.includes(o.type_time as OrderTimeType) ? 'type_time' : null;
}
function idError(type: string, o: Obj): ParseFailure | null {
  if (o.id == null) return missing(type, ['id']);
  if (typeof o.id !== 'string' || !ORDER_ID_RE.test(o.id)) return bad(type, 'id', '1–28 characters of [A-Za-z0-9_-]');
  return null;
}
function ticketError(type: string, o: Obj): ParseFailure | null {
  if (o.ticket == null) return missing(type, ['ticket']);
  const t = normalizeTicket(o.ticket);
  if (t === null || t === '0') return bad(type, 'ticket', 'a ticket (decimal string)');
  o.ticket = t;
  return null;
}

function vOrder(o: Obj): OrderCmd | ParseFailure {
  const e = idError('order', o);
  if (e) return e;
  const miss = absent(o, ['action', 'symbol', 'volume', 'order_type']);
  if (miss) return missing('order', miss);
  if (o.action !== 'deal' && o.action !== 'pending') return bad('order', 'action', 'deal | pending');
  if (typeof o.symbol !== 'string' || o.symbol.length === 0 || o.symbol.length > SYMBOL_MAX) return bad('order', 'symbol', 'a symbol name');
  if (!isFiniteNum(o.volume) || o.volume <= 0) return bad('order', 'volume', 'a positive number of lots');
  if (!ORDER_TYPES.includes(o.order_type as OrderType)) return bad('order', 'order_type', ORDER_TYPES.join(' | '));
  if (o.action === 'pending' && (o.order_type === 'buy' || o.order_type === 'sell')) return bad('order', 'order_type', 'a pending order type for action pending');
  if (o.action === 'pending' && !isFiniteNum(o.price)) return o.price == null ? missing('order', ['price']) : bad('order', 'price', 'a price');
  const f =
    optNum(o, ['price', 'stoplimit', 'sl', 'tp']) ?? optInt(o, ['deviation', 'magic', 'expiration']) ?? optStr(o, ['comment']) ?? optTickets(o, ['position', 'position_by']) ?? optFilling(o) ?? optTimeType(o);
  if (f) return bad('order', f, 'the MqlTradeRequest type');
  if (o.deviation != null && (o.deviation as number) < 0) return bad('order', 'deviation', 'points ≥ 0');
  if (o.magic != null && (o.magic as number) < 0) return bad('order', 'magic', 'an unsigned integer');
  return o as unknown as OrderCmd;
}

function vModify(o: Obj): ModifyCmd | ParseFailure {
  const e = idError('modify', o) ?? ticketError('modify', o);
  if (e) return e;
  const f = optNum(o, ['sl', 'tp', 'price', 'stoplimit']) ?? optInt(o, ['expiration']) ?? optTimeType(o);
  if (f) return bad('modify', f, 'the MqlTradeRequest type');
  if (o.sl == null && o.tp == null && o.price == null) return missing('modify', ['sl', 'tp', 'price'].filter((n) => o[n] == null));
  return o as unknown as ModifyCmd;
}

function vClose(o: Obj): CloseCmd | ParseFailure {
  const e = idError('close', o) ?? ticketError('close', o);
  if (e) return e;
  const f = optInt(o, ['deviation']) ?? optFilling(o);
  if (f) return bad('close', f, 'the MqlTradeRequest type');
  return o as unknown as CloseCmd;
}

function vClosePartial(o: Obj): ClosePartialCmd | ParseFailure {
  const e = idError('close_partial', o) ?? ticketError('close_partial', o);
  if (e) return e;
  if (o.volume == null) return missing('close_partial', ['volume']);
  if (!isFiniteNum(o.volume) || o.volume <= 0) return bad('close_partial', 'volume', 'a positive number of lots');
  const f = optInt(o, ['deviation']) ?? optFilling(o);
  if (f) return bad('close_partial', f, 'the MqlTradeRequest type');
  return o as unknown as ClosePartialCmd;
}

function vCancel(o: Obj): CancelCmd | ParseFailure {
  return idError('cancel', o) ?? ticketError('cancel', o) ?? (o as unknown as CancelCmd);
}

function vWelcome(o: Obj): WelcomeMsg | ParseFailure {
  const miss = absent(o, ['session', 'heartbeat_sec', 'last_time_msc']);
  if (miss) return missing('welcome', miss);
  if (typeof o.session !== 'string') return bad('welcome', 'session', 'a string');
  if (!isFiniteNum(o.heartbeat_sec) || o.heartbeat_sec <= 0) return bad('welcome', 'heartbeat_sec', 'seconds > 0');
  if (!isObj(o.last_time_msc)) return bad('welcome', 'last_time_msc', 'an object of symbol → ms');
  return o as unknown as WelcomeMsg;
}

function vBackfill(o: Obj): BackfillMsg | ParseFailure {
  const miss = absent(o, ['symbols', 'last_time_msc']);
  if (miss) return missing('backfill', miss);
  if (!Array.isArray(o.symbols)) return bad('backfill', 'symbols', 'an array of symbol names');
  if (!isObj(o.last_time_msc)) return bad('backfill', 'last_time_msc', 'an object of symbol → ms');
  return o as unknown as BackfillMsg;
}

function vHistoryRequest(o: Obj): HistoryRequestMsg | ParseFailure {
  const miss = absent(o, ['request_id', 'from_msc', 'to_msc']);
  if (miss) return missing('history_request', miss);
  if (typeof o.request_id !== 'string') return bad('history_request', 'request_id', 'a string');
  const f = optInt(o, ['from_msc', 'to_msc']);
  if (f) return bad('history_request', f, 'ms (integer)');
  return o as unknown as HistoryRequestMsg;
}

function vError(o: Obj): ErrorMsg | ParseFailure {
  const miss = absent(o, ['code', 'message']);
  if (miss) return missing('error', miss);
  if (typeof o.code !== 'string') return bad('error', 'code', 'an error code');
  if (typeof o.message !== 'string') return bad('error', 'message', 'a string');
  return o as unknown as ErrorMsg;
}

const OUTBOUND: Record<OutboundType, (o: Obj) => OutboundMessage | ParseFailure> = {
  welcome: vWelcome,
  backfill: vBackfill,
  order: vOrder,
  modify: vModify,
  close: vClose,
  close_partial: vClosePartial,
  cancel: vCancel,
  history_request: vHistoryRequest,
  ping: vPingPong,
  pong: vPingPong,
  error: vError,
};
export const OUTBOUND_TYPES = Object.keys(OUTBOUND) as OutboundType[];

// ---------------------------------------------------------------- parsing

function parseWith<T>(line: string, table: Record<string, (o: Obj) => T | ParseFailure>): T | ParseFailure {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return new ParseFailure('BAD_JSON', 'not valid JSON');
  }
  if (!isObj(v)) return new ParseFailure('NOT_OBJECT', 'a message is one JSON object');
  const type = v.type;
  if (type === undefined || type === null) return new ParseFailure('MISSING_TYPE', 'the message has no "type"', 'type', ['type']);
  if (typeof type !== 'string') return new ParseFailure('BAD_FIELD', '"type" must be a string', 'type');
  const validate = Object.prototype.hasOwnProperty.call(table, type) ? table[type] : undefined;
  if (!validate) return new ParseFailure('UNKNOWN_TYPE', `unknown message type ${JSON.stringify(type.slice(0, 40))}`, 'type');
  return validate(v);
}

/** Parse one line an EA sent. Never throws. */
export function parseInbound(line: string): InboundMessage | ParseFailure {
  return parseWith(line, INBOUND);
}

/** Parse one line the gateway sent (for clients: the replay feed, tests, other bridges). Never throws. */
export function parseOutbound(line: string): OutboundMessage | ParseFailure {
  return parseWith(line, OUTBOUND);
}

/**
 * Validate a trade command the gateway is asked to send (`mt5-gateway.send`).
 * Normalises tickets to strings in place; never throws.
 */
export function validateCommand(msg: unknown): TradeCommand | ParseFailure {
  if (!isObj(msg)) return new ParseFailure('NOT_OBJECT', 'a command is one JSON object');
  const t = msg.type;
  if (typeof t !== 'string' || !TRADE_COMMAND_TYPES.includes(t as TradeCommandType)) {
    return new ParseFailure(t == null ? 'MISSING_TYPE' : 'UNKNOWN_TYPE', `a trade command type is one of ${TRADE_COMMAND_TYPES.join(', ')}`, 'type');
  }
  return OUTBOUND[t as TradeCommandType](msg) as TradeCommand | ParseFailure;
}

/** The order id written in an MT5 comment (`p2:<id>` possibly followed by broker additions), or null. */
export function orderIdFromComment(comment: unknown): string | null {
  if (typeof comment !== 'string') return null;
  const m = COMMENT_ID_RE.exec(comment);
  return m ? m[1] : null;
}

/** One wire line (with the newline) for a message. */
export function encode(msg: InboundMessage | OutboundMessage | Record<string, unknown>): string {
  return JSON.stringify(msg) + '\n';
}

/** TRADE_RETCODE_* values that mean the request was carried out (PLACED, DONE, DONE_PARTIAL, NO_CHANGES). */
export const RETCODES_OK: ReadonlySet<number> = new Set([10008, 10009, 10010, 10025]);

// ---------------------------------------------------------------- line splitting

/**
 * Splits a byte stream into lines without copying complete lines twice.
 * A line over `maxBytes` is never accumulated: the reader reports it once
 * (`onOversize`) and skips bytes up to the next newline. A line split across
 * packets is kept as a list of slices until its newline arrives.
 */
export class LineReader {
  private parts: Buffer[] = [];
  private partLen = 0;
  /** Skipping the rest of an oversized line. */
  private discarding = false;
  private discarded = 0;

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly onOversize: (bytes: number) => void,
    private readonly maxBytes = MAX_LINE_BYTES,
  ) {}

  /** Bytes buffered for an incomplete line (bounded by maxBytes). */
  get pendingBytes(): number {
    return this.partLen;
  }

  push(chunk: Buffer): void {
    let start = 0;
    const n = chunk.length;
    while (start < n) {
      const nl = chunk.indexOf(10, start);
      if (nl === -1) {
        this.keep(chunk, start, n);
        return;
      }
      if (this.discarding) {
        this.discarded += nl - start;
        this.discarding = false;
        this.onOversize(this.discarded);
        this.discarded = 0;
      } else if (this.partLen > 0) {
        if (this.partLen + (nl - start) > this.maxBytes) {
          this.onOversize(this.partLen + (nl - start));
        } else {
          this.parts.push(chunk.subarray(start, nl));
          const whole = Buffer.concat(this.parts, this.partLen + (nl - start));
          this.emit(whole, 0, whole.length);
        }
        this.parts = [];
        this.partLen = 0;
      } else if (nl - start > this.maxBytes) {
        this.onOversize(nl - start);
      } else {
        this.emit(chunk, start, nl);
      }
      start = nl + 1;
    }
  }

  private keep(chunk: Buffer, start: number, end: number): void {
    if (this.discarding) {
      this.discarded += end - start;
      return;
    }
    if (this.partLen + (end - start) > this.maxBytes) {
      this.discarding = true;
      this.discarded = this.partLen + (end - start);
      this.parts = [];
      this.partLen = 0;
      return;
    }
    // Copy: the caller may reuse the chunk's memory.
    this.parts.push(Buffer.from(chunk.subarray(start, end)));
    this.partLen += end - start;
  }

  private emit(buf: Buffer, start: number, end: number): void {
    if (end > start && buf[end - 1] === 13) end--; // CRLF
    if (end === start) return; // blank lines are keep-alives
    this.onLine(buf.toString('utf8', start, end));
  }
}
