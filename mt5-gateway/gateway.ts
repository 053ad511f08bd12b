/**
 * The MT5 gateway core: a TCP server (raw NDJSON, or WebSocket at `/mt5` on the
 * same port) that speaks PROTOCOL.md with many terminals at once.
 *
 * Broker-free: everything it needs from the platform (tick ingestion, stored
 * tick times, events, the database) comes through `GatewayPorts`, which
 * `gateway.service.ts` wires to Moleculer.
 *
 * Per connection a `Session`; per MT5 account an `Account` (specs, order desk,
 * in-flight ingest batches) that outlives its sessions so a reconnect or a
 * takeover continues where the last one stopped.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import * as net from 'node:net';
import { performance } from 'node:perf_hooks';
import { WebSocket, WebSocketServer } from 'ws';
import { DomainError, NotFoundError } from '../lib/errors';
import type { Db } from '../lib/storage/db';
import type { IngestReply, SymbolSpecParams, Tick } from '../types/market';
import {
  AccountMsg,
  encode,
  ErrorCode,
  ErrorMsg,
  HelloMsg,
  HistoryMsg,
  LineReader,
  MAX_LINE_BYTES,
  orderIdFromComment,
  OrderResultMsg,
  OrdersMsg,
  OutboundMessage,
  parseInbound,
  ParseFailure,
  PositionsMsg,
  PROTOCOL_VERSION,
  RETCODES_OK,
  StatusMsg,
  SymbolSpec,
  SymbolsMsg,
  TickMsg,
  TradeCommand,
  TradeTransactionMsg,
} from './protocol';
import { AccountRef, journalOrder, loadSymbols, openOrders, OrderOutcome, resolveOrder, saveSymbols, StoredOrder, upsertAccount } from './store';
import { canonicalSymbol } from './symbols';
import { verifyMt5Token } from './tokens';

// ---------------------------------------------------------------- ports and options

export type IngestResult = IngestReply;

export interface GatewayLogger {
  debug(...a: unknown[]): void;
  info(...a: unknown[]): void;
  warn(...a: unknown[]): void;
  error(...a: unknown[]): void;
}

/** What the gateway needs from the platform. */
export interface GatewayPorts {
  db: Db;
  /** Hand a batch of normalised ticks (canonical names, UTC) to market-data; the await is the backpressure. */
  ingest(source: string, ticks: Tick[]): Promise<IngestResult>;
  /** Last stored tick time (UTC ms) per canonical symbol; missing = none stored. */
  lastStoredTimes(symbols: string[]): Promise<Map<string, number>>;
  /** Tell market-data a canonical symbol's price digits (and whether crossed quotes are legitimate). */
  registerSymbol(spec: SymbolSpecParams): Promise<void>;
  emit(event: string, payload: Record<string, unknown>, tenantId: string): void;
  log: GatewayLogger;
}

export interface GatewayOptions {
  host: string;
  /** 0 = ephemeral. */
  port: number;
  heartbeatSec: number;
  helloTimeoutMs: number;
  /** Ticks per market-data.ingest call at most. */
  batchMax: number;
  /** Flush a partial batch after this long (ms). */
  flushMs: number;
  /** Unanswered ingest batches per session before reading pauses. */
  maxInflight: number;
  /** Ticks held per session for symbols without specs. */
  maxHeld: number;
  /** Unsent bytes to an EA before SLOW_CONSUMER. */
  maxOutboundBytes: number;
  /** Error messages per second per connection (token bucket) and burst. */
  errorRate: number;
  errorBurst: number;
  /** Backfill no further back than this (ms). */
  backfillMaxMs: number;
  /** Default wait for an order_result (ms). */
  orderTimeoutMs: number;
  symbolMap: Record<string, string>;
}

export const DEFAULT_GATEWAY_OPTIONS: GatewayOptions = {
  host: '0.0.0.0',
  port: 8001,
  heartbeatSec: 10,
  helloTimeoutMs: 10_000,
  batchMax: 5000,
  flushMs: 2,
  maxInflight: 4,
  maxHeld: 10_000,
  maxOutboundBytes: 1 << 20,
  errorRate: 10,
  errorBurst: 20,
  backfillMaxMs: 72 * 3600_000,
  orderTimeoutMs: 10_000,
  symbolMap: {},
};

// ---------------------------------------------------------------- results and status types

export interface SendResult {
  id: string;
  account: string;
  outcome: Exclude<OrderOutcome, 'pending'>;
  result?: Record<string, unknown> | null;
  /** This id had been sent before; the stored or pending outcome is returned, nothing was sent again. */
  duplicate?: boolean;
  resolvedFrom?: string;
}

export interface SessionStatus {
  session: string;
  account: string | null;
  tenantId: string | null;
  login: string | null;
  server: string | null;
  transport: 'tcp' | 'ws';
  remote: string;
  state: 'new' | 'auth' | 'ready' | 'closed';
  connectedAt: number;
  ea: string | null;
  serverOffsetSec: number;
  lastSeq: number;
  ticks: number;
  ticksPerSec: number;
  lastTickAt: number | null;
  gaps: number;
  missing: number;
  duplicates: number;
  held: number;
  heldDropped: number;
  malformed: number;
  errors: Partial<Record<ErrorCode, number>>;
  errorsSent: number;
  errorsSuppressed: number;
  ingested: number;
  droppedDownstream: number;
  ingestFailed: number;
  inflight: number;
  paused: boolean;
  pauses: number;
  rttMs: number | null;
  clockSkewMs: number | null;
  terminalConnected: boolean | null;
}

interface Counters {
  ticks: number;
  gaps: number;
  missing: number;
  duplicates: number;
  held: number;
  heldDropped: number;
  malformed: number;
  errorsSent: number;
  errorsSuppressed: number;
  ingested: number;
  droppedDownstream: number;
  ingestFailed: number;
  batches: number;
  pauses: number;
}

function counters(): Counters {
  return { ticks: 0, gaps: 0, missing: 0, duplicates: 0, held: 0, heldDropped: 0, malformed: 0, errorsSent: 0, errorsSuppressed: 0, ingested: 0, droppedDownstream: 0, ingestFailed: 0, batches: 0, pauses: 0 };
}

const ERROR_NOT_COUNTED_AS_MALFORMED: ReadonlySet<ErrorCode> = new Set(['SESSION_REPLACED', 'HEARTBEAT_TIMEOUT', 'SLOW_CONSUMER', 'SHUTDOWN', 'INTERNAL']);

// ---------------------------------------------------------------- transports

interface Transport {
  readonly kind: 'tcp' | 'ws';
  readonly remote: string;
  write(line: string): void;
  buffered(): number;
  pause(): void;
  resume(): void;
  /** Close after pending writes. */
  end(): void;
  destroy(): void;
}

function tcpTransport(sock: net.Socket): Transport {
  const remote = `${sock.remoteAddress ?? '?'}:${sock.remotePort ?? '?'}`;
  return {
    kind: 'tcp',
    remote,
    write: (line) => {
      if (!sock.destroyed) sock.write(line);
    },
    buffered: () => sock.writableLength,
    pause: () => sock.pause(),
    resume: () => sock.resume(),
    end: () => {
      sock.end();
      setTimeout(() => sock.destroy(), 2000).unref();
    },
    destroy: () => sock.destroy(),
  };
}

function wsTransport(ws: WebSocket, remote: string): Transport {
  return {
    kind: 'ws',
    remote,
    write: (line) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(line.endsWith('\n') ? line.slice(0, -1) : line);
    },
    buffered: () => ws.bufferedAmount,
    pause: () => ws.pause(),
    resume: () => ws.resume(),
    end: () => {
      ws.close(1000);
      setTimeout(() => ws.terminate(), 2000).unref();
    },
    destroy: () => ws.terminate(),
  };
}

const NEWLINE = Buffer.from('\n');

// ---------------------------------------------------------------- latency reservoir

/** Ring of the most recent samples (ms) for percentiles. */
class Reservoir {
  private readonly buf: Float64Array;
  private n = 0;
  constructor(size = 8192) {
    this.buf = new Float64Array(size);
  }
  add(v: number): void {
    this.buf[this.n % this.buf.length] = v;
    this.n++;
  }
  reset(): void {
    this.n = 0;
  }
  summary(): { n: number; p50: number | null; p99: number | null; max: number | null } {
    const k = Math.min(this.n, this.buf.length);
    if (k === 0) return { n: 0, p50: null, p99: null, max: null };
    const s = this.buf.slice(0, k).sort();
    const at = (p: number) => s[Math.min(k - 1, Math.floor((p / 100) * (k - 1) + 0.5))];
    return { n: this.n, p50: round3(at(50)), p99: round3(at(99)), max: round3(s[k - 1]) };
  }
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

// ---------------------------------------------------------------- accounts and orders

interface KnownSymbol {
  canonical: string;
  spec: SymbolSpec;
}

interface PendingOrder {
  promise: Promise<SendResult>;
  resolve(r: SendResult): void;
  timer: NodeJS.Timeout | null;
  session: Session | null;
  sentAt: number;
}

class Account {
  readonly ref: AccountRef;
  session: Session | null = null;
  hello: HelloMsg | null = null;
  readonly specs = new Map<string, KnownSymbol>();
  /** Canonical → UTC ms of the newest tick market-data has answered for. */
  readonly lastAcked = new Map<string, number>();
  readonly inflight = new Set<Promise<void>>();
  private loaded: Promise<void> | null = null;
  private writes: Promise<void> = Promise.resolve();
  // order desk
  readonly pending = new Map<string, PendingOrder>();
  /** Orders sent but not finally resolved (pending or unknown), by id. */
  readonly open = new Map<string, StoredOrder>();
  /** Order/deal/position ticket → order id, learned from results (bounded). */
  readonly tickets = new Map<string, string>();

  constructor(
    readonly key: string,
    tenantId: string,
    login: string,
    server: string,
  ) {
    this.ref = { tenantId, login, server };
  }

  get tenantId(): string {
    return this.ref.tenantId;
  }

  /** Load stored specs and open orders once. */
  ensureLoaded(db: Db): Promise<void> {
    this.loaded ??= (async () => {
      for (const s of await loadSymbols(db, this.ref)) if (!this.specs.has(s.name)) this.specs.set(s.name, { canonical: s.canonical, spec: s.spec });
      for (const o of await openOrders(db, this.ref)) if (!this.open.has(o.id)) this.open.set(o.id, o);
    })().catch((e: unknown) => {
      this.loaded = null;
      throw e;
    });
    return this.loaded;
  }

  /** Serialise writes of this account (spec upserts) and report failures to `onError`. */
  write(fn: () => Promise<void>, onError: (e: unknown) => void): void {
    this.writes = this.writes.then(fn).catch(onError);
  }

  /** Wait until every in-flight ingest batch (of any session) is answered. */
  async drain(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  learnTicket(ticket: string | undefined, id: string): void {
    if (!ticket || ticket === '0') return;
    if (this.tickets.size >= 10_000) this.tickets.delete(this.tickets.keys().next().value as string);
    this.tickets.set(ticket, id);
  }

  /** The broker name for a canonical (or broker) symbol on this account. */
  brokerSymbol(symbol: string): string | null {
    if (this.specs.has(symbol)) return symbol;
    for (const [name, k] of this.specs) if (k.canonical === symbol) return name;
    return null;
  }
}

function outcomeOf(retcode: number): Exclude<OrderOutcome, 'pending'> {
  if (RETCODES_OK.has(retcode)) return 'done';
  return retcode === 10012 ? 'unknown' : 'rejected';
}

// ---------------------------------------------------------------- the session

type PauseReason = 1 | 2; // 1 auth, 2 backpressure
const PAUSE_AUTH: PauseReason = 1;
const PAUSE_BACKPRESSURE: PauseReason = 2;

interface HeldTick {
  m: TickMsg;
  offsetMs: number;
  recvAt: number;
}

interface PartsAssembly {
  type: 'positions' | 'orders' | 'history';
  parts: number;
  got: Map<number, Record<string, unknown>>;
  createdAt: number;
  items: number;
}

/** Items held across a session's unfinished split snapshots (a hedging account with 50,000 open positions is beyond any broker). */
const MAX_PART_ITEMS = 50_000;

class Session {
  readonly id = 's_' + randomBytes(5).toString('hex');
  state: SessionStatus['state'] = 'new';
  account: Account | null = null;
  readonly connectedAt = Date.now();
  readonly stats = counters();
  readonly errors: Partial<Record<ErrorCode, number>> = {};
  private readonly reader: LineReader;
  private queued: string[] = [];
  private offsetMs = 0;
  private expectedSeq = 1;
  private lastTickAt: number | null = null;
  private paused = 0;
  // batching
  private batch: Tick[] = [];
  private batchMax = new Map<string, number>();
  private batchFirstRecv = 0;
  private flushTimer: NodeJS.Timeout | null = null;
  private inflight = 0;
  // held ticks for unknown symbols
  private held: HeldTick[] = [];
  private heldHead = 0;
  // error rate limit
  private errTokens: number;
  private errRefillAt = performance.now();
  private suppressed = 0;
  // heartbeat
  private lastRecv = performance.now();
  private chunkAt = performance.now();
  private hbTimer: NodeJS.Timeout | null = null;
  private helloTimer: NodeJS.Timeout | null = null;
  private pingId = 0;
  /** Pings sent since the last chunk arrived: a stall of our own event loop sends none, so it is never blamed on the peer. */
  private pingsUnanswered = 0;
  private readonly pings = new Map<number, { wall: number; mono: number }>();
  rttMs: number | null = null;
  clockSkewMs: number | null = null;
  terminalConnected: boolean | null = null;
  // rates
  ticksPerSec = 0;
  private ticksAtSample = 0;
  private readonly parts = new Map<string, PartsAssembly>();
  private partItems = 0;

  constructor(
    readonly gw: Mt5Gateway,
    readonly transport: Transport,
  ) {
    this.errTokens = gw.opts.errorBurst;
    this.reader = new LineReader(
      (line) => this.onLine(line),
      (bytes) => this.refuse(new ParseFailure('LINE_TOO_LONG', `line of ${bytes} bytes exceeds ${MAX_LINE_BYTES}; skipped to the next newline`)),
    );
    this.helloTimer = setTimeout(() => {
      if (this.state === 'new') this.fatal('NOT_AUTHENTICATED', `no hello within ${gw.opts.helloTimeoutMs} ms`);
    }, gw.opts.helloTimeoutMs);
  }

  /** A getter, so checks after an await are not narrowed away by the compiler. */
  get isClosed(): boolean {
    return this.state === 'closed';
  }

  get key(): string | null {
    return this.account?.key ?? null;
  }

  // ------------------------------------------------ input

  push(chunk: Buffer): void {
    if (this.state === 'closed') return;
    // one clock read per chunk, not per line: liveness and batch arrival times
    const now = performance.now();
    this.lastRecv = now;
    this.chunkAt = now;
    this.pingsUnanswered = 0;
    this.reader.push(chunk);
  }

  pushFrame(chunk: Buffer): void {
    this.push(chunk);
    this.push(NEWLINE);
  }

  private onLine(line: string): void {
    if (this.state === 'auth') {
      this.queued.push(line);
      return;
    }
    this.handle(line);
  }

  private handle(line: string): void {
    if (this.state === 'closed') return;
    const m = parseInbound(line);
    if (m instanceof ParseFailure) {
      this.refuse(m);
      return;
    }
    if (this.state === 'new') {
      if (m.type === 'hello') this.hello(m).catch((e: unknown) => this.internal('hello', e));
      else if (m.type === 'ping') this.send({ type: 'pong', id: m.id, time: Date.now() });
      else this.refuse(new ParseFailure('NOT_AUTHENTICATED', `send hello first (got ${m.type})`));
      return;
    }
    switch (m.type) {
      case 'tick':
        this.tick(m);
        return;
      case 'symbols':
        this.symbols(m);
        return;
      case 'hello':
        this.refuse(new ParseFailure('DUPLICATE_HELLO', 'this connection already said hello'));
        return;
      case 'pong':
        this.pong(m.id, m.time);
        return;
      case 'ping':
        this.send({ type: 'pong', id: m.id, time: Date.now() });
        return;
      case 'order_result':
        this.gw.onOrderResult(this.account!, m).catch((e: unknown) => this.gw.ports.log.error('mt5: order_result handling failed', e));
        return;
      case 'trade_transaction':
        this.gw.onTransaction(this, this.account!, m);
        return;
      case 'account':
        this.emitAccount(m);
        return;
      case 'positions':
      case 'orders':
      case 'history':
        this.snapshot(m);
        return;
      case 'status':
        this.status(m);
        return;
    }
  }

  // ------------------------------------------------ errors

  /** Count a refused line and tell the peer, rate-limited. */
  refuse(f: ParseFailure): void {
    this.count(f.code);
    this.sendError({ type: 'error', code: f.code, message: f.message, ...(f.field ? { field: f.field } : {}), ...(f.fields ? { fields: f.fields } : {}) });
  }

  private count(code: ErrorCode): void {
    this.errors[code] = (this.errors[code] ?? 0) + 1;
    this.gw.totalErrors[code] = (this.gw.totalErrors[code] ?? 0) + 1;
    if (!ERROR_NOT_COUNTED_AS_MALFORMED.has(code)) {
      this.stats.malformed++;
      this.gw.totals.malformed++;
    }
  }

  private sendError(e: ErrorMsg): void {
    const now = performance.now();
    const rate = this.gw.opts.errorRate;
    this.errTokens = Math.min(this.gw.opts.errorBurst, this.errTokens + ((now - this.errRefillAt) / 1000) * rate);
    this.errRefillAt = now;
    if (this.errTokens < 1) {
      this.suppressed++;
      this.stats.errorsSuppressed++;
      this.gw.totals.errorsSuppressed++;
      return;
    }
    this.errTokens -= 1;
    if (this.suppressed > 0) {
      e.suppressed = this.suppressed;
      this.suppressed = 0;
    }
    this.stats.errorsSent++;
    this.gw.totals.errorsSent++;
    this.send(e);
  }

  /** Send a fatal error (never rate-limited) and close. */
  fatal(code: ErrorCode, message: string): void {
    if (this.state === 'closed') return;
    this.count(code);
    this.stats.errorsSent++;
    this.gw.totals.errorsSent++;
    this.send({ type: 'error', code, message, fatal: true });
    this.gw.ports.log.info(`mt5: closing ${this.id} (${this.key ?? this.transport.remote}): ${code} ${message}`);
    this.close();
    this.transport.end();
  }

  private internal(what: string, e: unknown): void {
    this.gw.ports.log.error(`mt5: ${what} failed for ${this.id}`, e);
    this.fatal('INTERNAL', `${what} failed`);
  }

  // ------------------------------------------------ output

  send(m: OutboundMessage): void {
    if (this.state === 'closed' && m.type !== 'error') return;
    if (this.transport.buffered() > this.gw.opts.maxOutboundBytes) {
      if (this.state !== 'closed') {
        this.count('SLOW_CONSUMER');
        this.gw.ports.log.warn(`mt5: ${this.id} (${this.key}) is not reading: SLOW_CONSUMER`);
        this.close();
        this.transport.destroy();
      }
      return;
    }
    this.transport.write(encode(m));
  }

  // ------------------------------------------------ handshake

  private async hello(m: HelloMsg): Promise<void> {
    this.state = 'auth';
    this.setPaused(PAUSE_AUTH, true);
    if (this.helloTimer) clearTimeout(this.helloTimer);
    this.helloTimer = null;
    if (m.protocol !== PROTOCOL_VERSION) {
      this.fatal('UNSUPPORTED_PROTOCOL', `this gateway speaks protocol ${PROTOCOL_VERSION}, not ${m.protocol}`);
      return;
    }
    const gw = this.gw;
    const tok = await verifyMt5Token(gw.ports.db, m.token);
    if (this.isClosed) return;
    if (!tok) {
      gw.totals.badTokens++;
      this.fatal('BAD_TOKEN', 'unknown or revoked token');
      return;
    }
    if (tok.login !== null && (tok.login !== m.login || tok.server !== m.server)) {
      this.fatal('ACCOUNT_MISMATCH', `this token is bound to account ${tok.login}@${tok.server}, not ${m.login}@${m.server}`);
      return;
    }
    const account = gw.account(tok.tenantId, m.login, m.server);
    const prev = account.session;
    account.session = this;
    account.hello = m;
    this.account = account;
    this.offsetMs = m.server_offset_sec * 1000;
    this.terminalConnected = m.connected ?? null;
    if (prev && prev !== this) {
      gw.totals.replaced++;
      prev.fatal('SESSION_REPLACED', `account ${m.login}@${m.server} connected again from ${this.transport.remote}; this session is closed`);
    }
    await upsertAccount(gw.ports.db, account.ref, m);
    await account.ensureLoaded(gw.ports.db);
    await account.drain();
    if (account.session !== this || this.isClosed) return;
    const last = await gw.lastTimes(account, [...account.specs.keys()], this.offsetMs);
    if (account.session !== this || this.isClosed) return;
    this.send({
      type: 'welcome',
      session: this.id,
      protocol: PROTOCOL_VERSION,
      heartbeat_sec: gw.opts.heartbeatSec,
      last_time_msc: last,
      server_time: Date.now(),
      max_line_bytes: MAX_LINE_BYTES,
    });
    this.state = 'ready';
    this.startHeartbeat();
    gw.ports.log.info(`mt5: ${account.key} connected (${this.transport.kind} ${this.transport.remote}, session ${this.id}, ${account.specs.size} known symbols)`);
    gw.ports.emit('mt5.session', { account: account.key, tenantId: account.tenantId, session: this.id, state: 'connected', ea: m.ea ?? null, version: m.version ?? null, build: m.build ?? null, remote: this.transport.remote }, account.tenantId);
    const q = this.queued;
    this.queued = [];
    for (const line of q) this.handle(line);
    this.setPaused(PAUSE_AUTH, false);
  }

  // ------------------------------------------------ ticks

  private tick(m: TickMsg): void {
    const st = this.stats;
    st.ticks++;
    this.gw.totals.ticks++;
    const seq = m.seq;
    if (seq !== this.expectedSeq) {
      if (seq > this.expectedSeq) {
        const miss = seq - this.expectedSeq;
        st.gaps++;
        st.missing += miss;
        this.gw.totals.gaps++;
        this.gw.totals.missing += miss;
        if (st.gaps <= 10 || st.gaps % 1000 === 0) this.gw.ports.log.warn(`mt5: seq gap on ${this.key}: expected ${this.expectedSeq}, got ${seq} (${miss} missing; ${st.gaps} gaps this session)`);
      } else {
        st.duplicates++;
        this.gw.totals.duplicates++;
        this.count('BAD_SEQ');
        this.sendError({ type: 'error', code: 'BAD_SEQ', message: `tick seq ${seq} is not above ${this.expectedSeq - 1}; dropped`, field: 'seq' });
        return;
      }
    }
    this.expectedSeq = seq + 1;
    const known = this.account!.specs.get(m.symbol);
    if (known === undefined) {
      this.hold(m);
      return;
    }
    this.enqueue(m, known.canonical, this.offsetMs, this.chunkAt);
  }

  private enqueue(m: TickMsg, canonical: string, offsetMs: number, recvAt: number): void {
    const t = m.time_msc - offsetMs;
    const tick: Tick = { symbol: canonical, time_msc: t, bid: m.bid, ask: m.ask };
    if (m.last != null) tick.last = m.last;
    const vol = m.volume_real ?? m.volume;
    if (vol != null) tick.volume = vol;
    if (m.flags != null) tick.flags = m.flags;
    if (this.batch.length === 0) this.batchFirstRecv = recvAt;
    this.batch.push(tick);
    const prev = this.batchMax.get(canonical);
    if (prev === undefined || t > prev) this.batchMax.set(canonical, t);
    if (this.batch.length >= this.gw.opts.batchMax) this.flush();
    else if (this.flushTimer === null) this.flushTimer = setTimeout(() => this.flush(), this.gw.opts.flushMs);
  }

  private hold(m: TickMsg): void {
    this.stats.held++;
    this.gw.totals.held++;
    this.held.push({ m, offsetMs: this.offsetMs, recvAt: this.chunkAt });
    if (this.held.length - this.heldHead > this.gw.opts.maxHeld) {
      this.heldHead++;
      this.stats.heldDropped++;
      this.gw.totals.heldDropped++;
      if (this.heldHead > 4096) {
        this.held = this.held.slice(this.heldHead);
        this.heldHead = 0;
      }
    }
  }

  /** Move held ticks whose symbols are now known into the batch, keeping arrival order. */
  private releaseHeld(): void {
    if (this.held.length === this.heldHead) return;
    const specs = this.account!.specs;
    const keep: HeldTick[] = [];
    for (let i = this.heldHead; i < this.held.length; i++) {
      const h = this.held[i];
      const k = specs.get(h.m.symbol);
      if (k) this.enqueue(h.m, k.canonical, h.offsetMs, h.recvAt);
      else keep.push(h);
    }
    this.held = keep;
    this.heldHead = 0;
  }

  get heldCount(): number {
    return this.held.length - this.heldHead;
  }

  /**
   * Send the current batch to market-data, unless every in-flight slot is taken (then reading
   * pauses and the batch goes when a slot frees). On close it always goes: received ticks are
   * never discarded.
   */
  flush(): void {
    if (this.flushTimer) {
      clearTimeout(this.flushTimer);
      this.flushTimer = null;
    }
    if (this.batch.length === 0) return;
    if (this.inflight >= this.gw.opts.maxInflight && this.state !== 'closed') {
      // every slot is taken: keep the batch (it grows by at most the chunk being read) and stop reading
      this.setPaused(PAUSE_BACKPRESSURE, true);
      return;
    }
    this.lastTickAt = Date.now();
    const ticks = this.batch;
    const maxBySymbol = this.batchMax;
    const firstRecv = this.batchFirstRecv;
    this.batch = [];
    this.batchMax = new Map();
    this.inflight++;
    if (this.inflight >= this.gw.opts.maxInflight && this.state !== 'closed') this.setPaused(PAUSE_BACKPRESSURE, true);
    const account = this.account!;
    const p: Promise<void> = this.gw.ingestBatch(this, account, ticks, maxBySymbol, firstRecv).finally(() => {
      account.inflight.delete(p);
      this.inflight--;
      if (this.batch.length > 0) this.flush();
      if (this.inflight < this.gw.opts.maxInflight) this.setPaused(PAUSE_BACKPRESSURE, false);
    });
    account.inflight.add(p);
  }

  get inflightCount(): number {
    return this.inflight;
  }

  private setPaused(reason: PauseReason, on: boolean): void {
    const before = this.paused;
    this.paused = on ? this.paused | reason : this.paused & ~reason;
    if (before === 0 && this.paused !== 0) {
      if (reason === PAUSE_BACKPRESSURE) {
        this.stats.pauses++;
        this.gw.totals.pauses++;
      }
      this.transport.pause();
    } else if (before !== 0 && this.paused === 0 && this.state !== 'closed') {
      this.lastRecv = performance.now(); // silence while we were not reading is not the peer's fault
      this.transport.resume();
    }
  }

  get isPaused(): boolean {
    return this.paused !== 0;
  }

  // ------------------------------------------------ symbols

  private symbols(m: SymbolsMsg): void {
    const account = this.account!;
    const gw = this.gw;
    const server = account.ref.server;
    const rows: { name: string; canonical: string; spec: SymbolSpec }[] = [];
    for (const spec of m.symbols) {
      const canonical = canonicalSymbol(spec.name, spec, server, gw.opts.symbolMap);
      account.specs.set(spec.name, { canonical, spec });
      rows.push({ name: spec.name, canonical, spec });
    }
    if (m.rejected && m.rejected.length > 0) {
      const first = m.rejected[0];
      this.count(first.code);
      this.sendError({ type: 'error', code: first.code, message: `${m.rejected.length} symbol spec(s) refused, first: ${first.field}`, field: first.field, fields: m.rejected.map((r) => r.field ?? `symbols[${r.index}]`) });
    }
    account.write(
      () => saveSymbols(gw.ports.db, account.ref, rows),
      (e) => gw.ports.log.error(`mt5: saving ${rows.length} specs of ${account.key} failed`, e),
    );
    for (const r of rows) gw.registerSymbol(r.canonical, r.spec);
    this.releaseHeld();
    const names = rows.map((r) => r.name);
    const offsetMs = this.offsetMs;
    gw.lastTimes(account, names, offsetMs).then(
      (last) => this.send({ type: 'backfill', symbols: names, last_time_msc: last }),
      (e: unknown) => gw.ports.log.error(`mt5: backfill lookup for ${account.key} failed`, e),
    );
  }

  // ------------------------------------------------ snapshots and status

  /** Convert every numeric `*_msc` field of an item from server clock to UTC, in place. */
  utc<T extends Record<string, unknown>>(item: T): T {
    const o = item as Record<string, unknown>;
    for (const k in o) {
      if (k.endsWith('_msc') && typeof o[k] === 'number' && (o[k] as number) > 0) o[k] = (o[k] as number) - this.offsetMs;
    }
    return item;
  }

  private emitAccount(m: AccountMsg): void {
    const a = this.account!;
    const { type: _t, ...rest } = this.utc(m);
    this.gw.ports.emit('mt5.account', { account: a.key, tenantId: a.tenantId, ...rest }, a.tenantId);
  }

  /** Reassemble split snapshots (`snapshot`, `part`, `parts`), then hand whole ones on. */
  private snapshot(m: PositionsMsg | OrdersMsg | HistoryMsg): void {
    const raw = m as unknown as Record<string, unknown>;
    const parts = raw.parts;
    if (typeof parts === 'number' && parts > 1) {
      const sid = String(raw.snapshot ?? raw.request_id ?? '');
      const part = raw.part;
      if (!sid || !Number.isInteger(part) || (part as number) < 1 || (part as number) > parts || parts > 1000) {
        this.refuse(new ParseFailure('BAD_FIELD', `${m.type}: a split snapshot needs snapshot id, part 1…parts (≤ 1000)`, 'part'));
        return;
      }
      const key = `${m.type}:${sid}`;
      let asm = this.parts.get(key);
      if (!asm) {
        if (this.parts.size >= 16) this.dropAssembly([...this.parts.keys()].sort((x, y) => this.parts.get(x)!.createdAt - this.parts.get(y)!.createdAt)[0]);
        asm = { type: m.type, parts, got: new Map(), createdAt: Date.now(), items: 0 };
        this.parts.set(key, asm);
      }
      const n = (Array.isArray(raw.positions) ? raw.positions.length : 0) + (Array.isArray(raw.orders) ? raw.orders.length : 0) + (Array.isArray(raw.deals) ? raw.deals.length : 0);
      if (this.partItems + n > MAX_PART_ITEMS) {
        // memory bound across unfinished split snapshots: refuse rather than hold without limit
        this.dropAssembly(key);
        this.refuse(new ParseFailure('BAD_FIELD', `${m.type}: split snapshots in progress exceed ${MAX_PART_ITEMS} items; snapshot ${sid} dropped`, 'parts'));
        return;
      }
      if (!asm.got.has(part as number)) {
        asm.items += n;
        this.partItems += n;
      }
      asm.got.set(part as number, raw);
      if (asm.got.size < asm.parts) return;
      this.dropAssembly(key);
      const whole: Record<string, unknown> = { ...raw };
      const lists = m.type === 'history' ? ['deals', 'orders'] : [m.type];
      for (const l of lists) {
        const all: unknown[] = [];
        for (let i = 1; i <= asm.parts; i++) all.push(...((asm.got.get(i)?.[l] as unknown[]) ?? []));
        whole[l] = all;
      }
      this.gw.onSnapshot(this, this.account!, whole as unknown as PositionsMsg | OrdersMsg | HistoryMsg);
      return;
    }
    this.gw.onSnapshot(this, this.account!, m);
  }

  private dropAssembly(key: string): void {
    const asm = this.parts.get(key);
    if (!asm) return;
    this.partItems -= asm.items;
    this.parts.delete(key);
  }

  private status(m: StatusMsg): void {
    const a = this.account!;
    if (m.server_offset_sec != null && m.server_offset_sec * 1000 !== this.offsetMs) {
      this.gw.ports.log.info(`mt5: ${a.key} server offset ${this.offsetMs / 1000} → ${m.server_offset_sec} s`);
      this.offsetMs = m.server_offset_sec * 1000;
    }
    this.terminalConnected = m.connected;
    this.gw.ports.emit('mt5.status', { account: a.key, tenantId: a.tenantId, connected: m.connected, tradeAllowed: m.trade_allowed ?? null, reason: m.reason ?? null, serverOffsetSec: this.offsetMs / 1000 }, a.tenantId);
  }

  /** Server clock ms for a UTC ms. */
  serverTime(utcMs: number): number {
    return utcMs + this.offsetMs;
  }

  get serverOffsetSec(): number {
    return this.offsetMs / 1000;
  }

  // ------------------------------------------------ heartbeat

  private startHeartbeat(): void {
    const every = this.gw.opts.heartbeatSec * 1000;
    this.hbTimer = setInterval(() => {
      const now = performance.now();
      if (this.paused !== 0) {
        this.lastRecv = now;
        this.pingsUnanswered = 0;
        return;
      }
      if (this.pingsUnanswered >= 3 && now - this.lastRecv >= 3 * every) {
        this.gw.totals.heartbeatTimeouts++;
        this.fatal('HEARTBEAT_TIMEOUT', `nothing received for ${Math.round((now - this.lastRecv) / 1000)} s (3 heartbeats)`);
        return;
      }
      this.pingsUnanswered++;
      const id = ++this.pingId;
      this.pings.set(id, { wall: Date.now(), mono: now });
      if (this.pings.size > 8) this.pings.delete(this.pings.keys().next().value as number);
      this.send({ type: 'ping', id, time: Date.now() });
    }, every);
    this.hbTimer.unref();
  }

  private pong(id: string | number | undefined, time: number | undefined): void {
    if (typeof id !== 'number') return;
    const p = this.pings.get(id);
    if (!p) return;
    this.pings.delete(id);
    this.rttMs = round3(performance.now() - p.mono);
    if (time != null) this.clockSkewMs = Math.round(time - (p.wall + this.rttMs / 2));
  }

  sampleRate(dtSec: number): void {
    this.ticksPerSec = Math.round((this.stats.ticks - this.ticksAtSample) / dtSec);
    this.ticksAtSample = this.stats.ticks;
  }

  // ------------------------------------------------ close

  /** Tear down (idempotent): flush received ticks, release the account, resolve orders sent through us as unknown. */
  close(): void {
    if (this.state === 'closed') return;
    const wasReady = this.state === 'ready' || this.state === 'auth';
    this.state = 'closed';
    if (this.helloTimer) clearTimeout(this.helloTimer);
    if (this.hbTimer) clearInterval(this.hbTimer);
    this.helloTimer = this.hbTimer = null;
    const a = this.account;
    if (a) {
      this.flush();
      const lost = this.heldCount;
      if (lost > 0) {
        this.stats.heldDropped += lost;
        this.gw.totals.heldDropped += lost;
        this.gw.ports.log.warn(`mt5: ${a.key}: ${lost} held ticks had no specs when the session closed`);
      }
      this.held = [];
      this.heldHead = 0;
      if (a.session === this) {
        a.session = null;
        if (wasReady) this.gw.ports.emit('mt5.session', { account: a.key, tenantId: a.tenantId, session: this.id, state: 'disconnected' }, a.tenantId);
      }
      this.gw.abandonOrders(a, this);
    }
    this.gw.forget(this);
  }

  toStatus(): SessionStatus {
    const a = this.account;
    const st = this.stats;
    return {
      session: this.id,
      account: a?.key ?? null,
      tenantId: a?.tenantId ?? null,
      login: a?.ref.login ?? null,
      server: a?.ref.server ?? null,
      transport: this.transport.kind,
      remote: this.transport.remote,
      state: this.state,
      connectedAt: this.connectedAt,
      ea: a?.hello?.ea ?? null,
      serverOffsetSec: this.offsetMs / 1000,
      lastSeq: this.expectedSeq - 1,
      ticks: st.ticks,
      ticksPerSec: this.ticksPerSec,
      lastTickAt: this.lastTickAt,
      gaps: st.gaps,
      missing: st.missing,
      duplicates: st.duplicates,
      held: this.heldCount,
      heldDropped: st.heldDropped,
      malformed: st.malformed,
      errors: { ...this.errors },
      errorsSent: st.errorsSent,
      errorsSuppressed: st.errorsSuppressed,
      ingested: st.ingested,
      droppedDownstream: st.droppedDownstream,
      ingestFailed: st.ingestFailed,
      inflight: this.inflight,
      paused: this.paused !== 0,
      pauses: st.pauses,
      rttMs: this.rttMs,
      clockSkewMs: this.clockSkewMs,
      terminalConnected: this.terminalConnected,
    };
  }
}

// ---------------------------------------------------------------- the gateway

export interface GatewayTotals extends Counters {
  connections: number;
  wsConnections: number;
  replaced: number;
  heartbeatTimeouts: number;
  badTokens: number;
  ordersSent: number;
}

export interface GatewayStatus {
  host: string;
  port: number;
  sessions: number;
  accounts: number;
  ticksPerSec: number;
  totals: GatewayTotals;
  errors: Partial<Record<ErrorCode, number>>;
  /** ms from the first tick of a batch arriving to market-data answering for it (worst tick of each batch). */
  ingestLatencyMs: { n: number; p50: number | null; p99: number | null; max: number | null };
}

export class Mt5Gateway {
  readonly opts: GatewayOptions;
  readonly totals: GatewayTotals = { ...counters(), connections: 0, wsConnections: 0, replaced: 0, heartbeatTimeouts: 0, badTokens: 0, ordersSent: 0 };
  readonly totalErrors: Partial<Record<ErrorCode, number>> = {};
  private readonly accounts = new Map<string, Account>();
  private readonly sessions = new Set<Session>();
  private readonly latency = new Reservoir();
  private server: net.Server | null = null;
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 4 * MAX_LINE_BYTES, perMessageDeflate: false });
  private bound: { host: string; port: number } | null = null;
  private rateTimer: NodeJS.Timeout | null = null;
  private ticksAtSample = 0;
  private rateAt = performance.now();
  ticksPerSec = 0;

  constructor(
    readonly ports: GatewayPorts,
    opts: Partial<GatewayOptions> = {},
  ) {
    this.opts = { ...DEFAULT_GATEWAY_OPTIONS, ...opts };
  }

  // ------------------------------------------------ server

  async listen(): Promise<{ host: string; port: number }> {
    const server = net.createServer((sock) => this.accept(sock));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (e) => this.ports.log.error('mt5: server error', e));
    const addr = server.address() as net.AddressInfo;
    this.bound = { host: this.opts.host, port: addr.port };
    this.rateTimer = setInterval(() => this.sampleRates(), 1000);
    this.rateTimer.unref();
    this.ports.log.info(`mt5: gateway listening on ${this.opts.host}:${addr.port} (NDJSON over TCP, WebSocket at /mt5)`);
    return this.bound;
  }

  address(): { host: string; port: number } | null {
    return this.bound;
  }

  /** Tell every terminal we are stopping, flush their ticks, stop listening. */
  async close(): Promise<void> {
    if (this.rateTimer) clearInterval(this.rateTimer);
    const server = this.server;
    this.server = null;
    for (const s of [...this.sessions]) s.fatal('SHUTDOWN', 'the gateway is stopping; reconnect with backoff');
    const drains = [...this.accounts.values()].map((a) => a.drain());
    await Promise.race([Promise.allSettled(drains), new Promise((r) => setTimeout(r, 5000).unref())]);
    this.wss.close();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private accept(sock: net.Socket): void {
    this.totals.connections++;
    sock.setNoDelay(true);
    sock.on('error', (e) => this.ports.log.debug(`mt5: socket error ${sock.remoteAddress}:${sock.remotePort}: ${e.message}`));
    let head: Buffer | null = null;
    const deadline = setTimeout(() => sock.destroy(), this.opts.helloTimeoutMs);
    deadline.unref();
    const onData = (chunk: Buffer) => {
      head = head ? Buffer.concat([head, chunk]) : chunk;
      if (head.length < 4 && head.indexOf(10) === -1) return;
      sock.off('data', onData);
      clearTimeout(deadline);
      if (head[0] === 0x47 && head[1] === 0x45 && head[2] === 0x54 && head[3] === 0x20) {
        this.acceptHttp(sock, head);
        return;
      }
      const s = this.open(tcpTransport(sock));
      sock.on('data', (c: Buffer) => s.push(c));
      sock.on('close', () => s.close());
      s.push(head);
    };
    sock.on('data', onData);
    sock.on('close', () => clearTimeout(deadline));
  }

  /** Parse the HTTP request head ourselves and hand the socket to ws (`noServer`) for `/mt5`. */
  private acceptHttp(sock: net.Socket, first: Buffer): void {
    let buf = first;
    const tryUpgrade = (): boolean => {
      const end = buf.indexOf('\r\n\r\n');
      if (end === -1) {
        if (buf.length > 16 * 1024) {
          sock.end('HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
          return true;
        }
        return false;
      }
      const lines = buf.toString('latin1', 0, end).split('\r\n');
      const [method, url] = lines[0].split(' ');
      const headers: Record<string, string> = {};
      for (let i = 1; i < lines.length; i++) {
        const c = lines[i].indexOf(':');
        if (c > 0) headers[lines[i].slice(0, c).trim().toLowerCase()] = lines[i].slice(c + 1).trim();
      }
      const path = (url ?? '').split('?')[0];
      if (path !== '/mt5') {
        sock.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: 35\r\n\r\nMT5 gateway: WebSocket path is /mt5');
        return true;
      }
      if ((headers.upgrade ?? '').toLowerCase() !== 'websocket') {
        sock.end('HTTP/1.1 426 Upgrade Required\r\nConnection: close\r\nUpgrade: websocket\r\nContent-Length: 0\r\n\r\n');
        return true;
      }
      const req = { method, url, headers, httpVersion: '1.1', socket: sock } as unknown as IncomingMessage;
      const remote = `${sock.remoteAddress ?? '?'}:${sock.remotePort ?? '?'}`;
      this.wss.handleUpgrade(req, sock, buf.subarray(end + 4), (ws) => {
        this.totals.wsConnections++;
        const s = this.open(wsTransport(ws, remote));
        ws.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => {
          const b = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
          s.pushFrame(b);
        });
        ws.on('close', () => s.close());
        ws.on('error', (e) => this.ports.log.debug(`mt5: ws error ${remote}: ${e.message}`));
      });
      return true;
    };
    if (tryUpgrade()) return;
    const onData = (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      if (tryUpgrade()) sock.off('data', onData);
    };
    sock.on('data', onData);
  }

  private open(t: Transport): Session {
    const s = new Session(this, t);
    this.sessions.add(s);
    return s;
  }

  /** @internal */
  forget(s: Session): void {
    this.sessions.delete(s);
  }

  /** @internal */
  account(tenantId: string, login: string, server: string): Account {
    const key = `${tenantId}:${login}@${server}`;
    let a = this.accounts.get(key);
    if (!a) {
      a = new Account(key, tenantId, login, server);
      this.accounts.set(key, a);
    }
    return a;
  }

  private sampleRates(): void {
    const now = performance.now();
    const dt = (now - this.rateAt) / 1000;
    this.rateAt = now;
    if (dt <= 0) return;
    for (const s of this.sessions) s.sampleRate(dt);
    this.ticksPerSec = Math.round((this.totals.ticks - this.ticksAtSample) / dt);
    this.ticksAtSample = this.totals.ticks;
  }

  // ------------------------------------------------ ticks downstream

  /** @internal One batch to market-data, retried on infrastructure errors, never buffered beyond the in-flight cap. */
  async ingestBatch(s: Session, a: Account, ticks: Tick[], maxBySymbol: Map<string, number>, firstRecv: number): Promise<void> {
    this.totals.batches++;
    s.stats.batches++;
    for (let attempt = 0; ; attempt++) {
      try {
        const r = await this.ports.ingest(a.key, ticks);
        this.latency.add(performance.now() - firstRecv);
        const accepted = r?.accepted ?? ticks.length;
        let dropped = 0;
        const d = r?.dropped as IngestReply['dropped'] | number | undefined;
        if (typeof d === 'number') dropped = d;
        else if (d) for (const k in d) dropped += d[k as keyof typeof d] ?? 0;
        s.stats.ingested += accepted;
        s.stats.droppedDownstream += dropped;
        this.totals.ingested += accepted;
        this.totals.droppedDownstream += dropped;
        for (const [sym, t] of maxBySymbol) {
          const prev = a.lastAcked.get(sym);
          if (prev === undefined || t > prev) a.lastAcked.set(sym, t);
        }
        return;
      } catch (e) {
        if (attempt >= 3) {
          s.stats.ingestFailed += ticks.length;
          this.totals.ingestFailed += ticks.length;
          this.ports.log.error(`mt5: ingest of ${ticks.length} ticks from ${a.key} failed after ${attempt + 1} attempts; they will come back with the next backfill`, e);
          return;
        }
        await new Promise((r) => setTimeout(r, 50 * 4 ** attempt));
      }
    }
  }

  private readonly registered = new Map<string, string>();

  /** @internal Tell market-data a canonical symbol's digits once per distinct spec (never blocks the feed). */
  registerSymbol(canonical: string, spec: SymbolSpec): void {
    const allowCrossed = spec.trade_exemode === 'exchange';
    const digits = Math.min(spec.digits, 10);
    const trading: Partial<SymbolSpecParams> = {};
    for (const k of ['trade_contract_size', 'volume_min', 'volume_max', 'volume_step', 'trade_stops_level'] as const) if (typeof spec[k] === 'number') trading[k] = spec[k];
    for (const k of ['currency_base', 'currency_profit'] as const) if (typeof spec[k] === 'string') trading[k] = spec[k];
    const key = `${digits}/${spec.point}/${allowCrossed}/${JSON.stringify(trading)}`;
    if (this.registered.get(canonical) === key) return;
    this.registered.set(canonical, key);
    this.ports.registerSymbol({ symbol: canonical, digits, point: spec.point, ...(allowCrossed ? { allowCrossed } : {}), ...trading }).catch((e: unknown) => {
      this.registered.delete(canonical);
      this.ports.log.warn(`mt5: registering ${canonical} with market-data failed: ${(e as Error).message}`);
    });
  }

  /** @internal Backfill points for broker names: max(stored, acked), capped, in server clock. */
  async lastTimes(a: Account, names: string[], offsetMs: number): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    if (names.length === 0) return out;
    const canon = new Set<string>();
    for (const n of names) {
      const k = a.specs.get(n);
      if (k) canon.add(k.canonical);
    }
    let stored = new Map<string, number>();
    try {
      stored = await this.ports.lastStoredTimes([...canon]);
    } catch (e) {
      this.ports.log.warn(`mt5: stored tick times unavailable for ${a.key}; backfilling from what this gateway acknowledged`, e);
    }
    const floor = Date.now() - this.opts.backfillMaxMs;
    for (const n of names) {
      const k = a.specs.get(n);
      if (!k) continue;
      const s = stored.get(k.canonical);
      const acked = a.lastAcked.get(k.canonical);
      const t = Math.max(s ?? -Infinity, acked ?? -Infinity);
      if (Number.isFinite(t)) out[n] = Math.max(t, floor) + offsetMs;
    }
    return out;
  }

  // ------------------------------------------------ orders

  /**
   * Send a trade command to a connected account and wait for its outcome.
   * The id is the idempotency key: a known id is never sent twice (see PROTOCOL.md §8).
   * `symbol` may be canonical (mapped to the account's broker name); `expiration` is UTC ms
   * (converted to the server clock on the wire).
   */
  async send(accountKey: string, cmd: TradeCommand, opts: { timeoutMs?: number; tenantId?: string } = {}): Promise<SendResult> {
    const a = this.accounts.get(accountKey);
    if (!a || (opts.tenantId !== undefined && a.tenantId !== opts.tenantId)) throw new NotFoundError('MT5 account', accountKey);
    const joined = a.pending.get(cmd.id);
    if (joined) return { ...(await joined.promise), duplicate: true };
    const s0 = a.session;
    if (!s0 || s0.state !== 'ready') throw new DomainError('MT5_NOT_CONNECTED', `no terminal is connected for ${accountKey}`, 409);
    if (cmd.type === 'order') {
      const broker = a.brokerSymbol(cmd.symbol);
      if (!broker) throw new DomainError('UNKNOWN_SYMBOL', `${cmd.symbol} is not among the symbols of ${accountKey}`, 422, { symbol: cmd.symbol });
      cmd.symbol = broker;
    }
    let resolve!: (r: SendResult) => void;
    const entry: PendingOrder = { promise: new Promise<SendResult>((r) => (resolve = r)), resolve: (r) => resolve(r), timer: null, session: null, sentAt: Date.now() };
    a.pending.set(cmd.id, entry);
    let journal: Awaited<ReturnType<typeof journalOrder>>;
    try {
      journal = await journalOrder(this.ports.db, a.ref, cmd);
    } catch (e) {
      a.pending.delete(cmd.id);
      throw e;
    }
    if (!journal.inserted) {
      a.pending.delete(cmd.id);
      const r = await this.previousOutcome(a, journal.order);
      entry.resolve(r);
      return r;
    }
    const s = a.session;
    if (!s || s.state !== 'ready') {
      a.pending.delete(cmd.id);
      await resolveOrder(this.ports.db, a.ref, cmd.id, 'rejected', { reason: 'MT5_NOT_CONNECTED' }, 'not_sent');
      const r: SendResult = { id: cmd.id, account: a.key, outcome: 'rejected', result: { reason: 'MT5_NOT_CONNECTED' }, resolvedFrom: 'not_sent' };
      entry.resolve(r);
      return r;
    }
    a.open.set(cmd.id, journal.order);
    // callers speak UTC; the terminal's expiration is on the trade server's clock
    if ((cmd.type === 'order' || cmd.type === 'modify') && cmd.expiration != null) cmd.expiration = s.serverTime(cmd.expiration);
    entry.session = s;
    entry.sentAt = journal.order.sentAt;
    this.totals.ordersSent++;
    s.send(cmd);
    entry.timer = setTimeout(() => {
      this.timeoutOrder(a, cmd.id, 'timeout').catch((e: unknown) => this.ports.log.error('mt5: order timeout handling failed', e));
    }, opts.timeoutMs ?? this.opts.orderTimeoutMs);
    return entry.promise;
  }

  private async previousOutcome(a: Account, o: StoredOrder): Promise<SendResult> {
    if (o.outcome === 'done' || o.outcome === 'rejected') {
      return { id: o.id, account: a.key, outcome: o.outcome, result: o.result, duplicate: true, resolvedFrom: o.resolvedFrom ?? undefined };
    }
    // pending without a waiter in this process (it restarted mid-flight) or unknown: never resend, look for evidence
    if (o.outcome === 'pending') await resolveOrder(this.ports.db, a.ref, o.id, 'unknown', null, 'restart');
    a.open.set(o.id, { ...o, outcome: 'unknown' });
    if (a.session?.state === 'ready') this.requestHistory(a.session, o.sentAt, o.id);
    return { id: o.id, account: a.key, outcome: 'unknown', result: o.result, duplicate: true };
  }

  private async timeoutOrder(a: Account, id: string, why: string): Promise<void> {
    const entry = a.pending.get(id);
    if (!entry) return;
    a.pending.delete(id);
    if (entry.timer) clearTimeout(entry.timer);
    await resolveOrder(this.ports.db, a.ref, id, 'unknown', null, why);
    const open = a.open.get(id);
    if (open) open.outcome = 'unknown';
    if (a.session?.state === 'ready') this.requestHistory(a.session, entry.sentAt, id);
    entry.resolve({ id, account: a.key, outcome: 'unknown', result: null, resolvedFrom: why });
  }

  /** @internal The session that carried these orders is gone: their outcome is unknown. */
  abandonOrders(a: Account, s: Session): void {
    for (const [id, e] of a.pending) {
      if (e.session === s) this.timeoutOrder(a, id, 'disconnected').catch((err: unknown) => this.ports.log.error('mt5: abandoning order failed', err));
    }
  }

  private requestHistory(s: Session, sentAtUtc: number, id: string): void {
    s.send({ type: 'history_request', request_id: 'h_' + id, from_msc: s.serverTime(sentAtUtc - 60_000), to_msc: s.serverTime(Date.now() + 60_000) });
  }

  /** @internal */
  async onOrderResult(a: Account, m: OrderResultMsg): Promise<void> {
    const outcome = outcomeOf(m.retcode);
    a.learnTicket(m.order, m.id);
    a.learnTicket(m.deal, m.id);
    a.learnTicket(m.position, m.id);
    const { type: _t, ...result } = m;
    const entry = a.pending.get(m.id);
    if (entry) {
      a.pending.delete(m.id);
      if (entry.timer) clearTimeout(entry.timer);
    }
    await resolveOrder(this.ports.db, a.ref, m.id, outcome, result, 'order_result', { order: m.order, deal: m.deal, position: m.position });
    if (outcome === 'unknown') {
      const o = a.open.get(m.id);
      if (o) o.outcome = 'unknown';
      if (a.session?.state === 'ready') this.requestHistory(a.session, entry?.sentAt ?? Date.now() - 60_000, m.id);
    } else a.open.delete(m.id);
    const r: SendResult = { id: m.id, account: a.key, outcome, result, ...(m.duplicate ? { duplicate: true } : {}), resolvedFrom: 'order_result' };
    this.ports.emit('mt5.order_result', { ...r, tenantId: a.tenantId }, a.tenantId);
    entry?.resolve(r);
  }

  /** Evidence about an order found outside its order_result; resolves it once. */
  private async evidence(a: Account, id: string, outcome: 'done' | 'rejected', from: string, detail: Record<string, unknown>, tickets: { order?: string; deal?: string; position?: string }): Promise<void> {
    if (!a.open.has(id)) return;
    a.open.delete(id);
    const entry = a.pending.get(id);
    if (entry) {
      a.pending.delete(id);
      if (entry.timer) clearTimeout(entry.timer);
    }
    const changed = await resolveOrder(this.ports.db, a.ref, id, outcome, detail, from, tickets);
    const r: SendResult = { id, account: a.key, outcome, result: detail, resolvedFrom: from };
    if (changed || entry) this.ports.emit('mt5.order_result', { ...r, tenantId: a.tenantId }, a.tenantId);
    entry?.resolve(r);
  }

  /** @internal */
  onTransaction(s: Session, a: Account, m: TradeTransactionMsg): void {
    const tr = m.transaction;
    const id = orderIdFromComment(m.request?.comment) ?? (tr.order && a.tickets.get(tr.order)) ?? (tr.deal && a.tickets.get(tr.deal)) ?? (tr.position && a.tickets.get(tr.position)) ?? null;
    if (id) {
      a.learnTicket(tr.order, id);
      a.learnTicket(tr.deal, id);
      a.learnTicket(tr.position, id);
      a.learnTicket(m.result?.order, id);
      a.learnTicket(m.result?.deal, id);
    }
    if (m.time_msc != null) m.time_msc -= s.serverOffsetSec * 1000;
    this.ports.emit('mt5.trade_transaction', { account: a.key, tenantId: a.tenantId, id, transaction: tr, request: m.request ?? null, result: m.result ?? null, time: m.time_msc ?? Date.now() }, a.tenantId);
    if (!id || !a.open.has(id)) return;
    const work =
      tr.type === 'request' && typeof m.result?.retcode === 'number' && outcomeOf(m.result.retcode) !== 'unknown'
        ? this.evidence(a, id, outcomeOf(m.result.retcode) as 'done' | 'rejected', 'trade_transaction', { ...m.result }, { order: m.result.order, deal: m.result.deal })
        : tr.type === 'deal_add' && tr.deal
          ? this.evidence(a, id, 'done', 'trade_transaction', { deal: tr.deal, order: tr.order, position: tr.position, price: tr.price, volume: tr.volume }, { deal: tr.deal, order: tr.order, position: tr.position })
          : null;
    work?.catch((e: unknown) => this.ports.log.error('mt5: resolving from transaction failed', e));
  }

  /** @internal Whole positions/orders/history snapshots: emit, and resolve open orders by comment. */
  onSnapshot(s: Session, a: Account, m: PositionsMsg | OrdersMsg | HistoryMsg): void {
    const base = { account: a.key, tenantId: a.tenantId };
    const checks: Promise<void>[] = [];
    const look = (items: Record<string, unknown>[], from: string, kind: 'position' | 'order' | 'deal') => {
      for (const it of items) {
        s.utc(it);
        if (a.open.size === 0) continue;
        const id = orderIdFromComment(it.comment);
        if (!id || !a.open.has(id)) continue;
        const ticket = it.ticket as string;
        const state = typeof it.state === 'string' ? it.state : '';
        const failed = kind === 'order' && from === 'history' && (state === 'canceled' || state === 'rejected' || state === 'expired');
        const tickets = kind === 'position' ? { position: ticket } : kind === 'order' ? { order: ticket, position: it.position_id as string | undefined } : { deal: ticket, order: it.order as string | undefined, position: it.position_id as string | undefined };
        checks.push(this.evidence(a, id, failed ? 'rejected' : 'done', from, { [kind]: it }, tickets));
      }
    };
    if (m.type === 'positions') {
      look(m.positions, 'positions', 'position');
      this.ports.emit('mt5.positions', { ...base, positions: m.positions, time: m.time_msc != null ? m.time_msc - s.serverOffsetSec * 1000 : Date.now() }, a.tenantId);
    } else if (m.type === 'orders') {
      look(m.orders, 'orders', 'order');
      this.ports.emit('mt5.orders', { ...base, orders: m.orders, time: m.time_msc != null ? m.time_msc - s.serverOffsetSec * 1000 : Date.now() }, a.tenantId);
    } else {
      look(m.deals, 'history', 'deal');
      look(m.orders, 'history', 'order');
      this.ports.emit('mt5.history', { ...base, requestId: m.request_id ?? null, deals: m.deals, orders: m.orders }, a.tenantId);
    }
    for (const c of checks) c.catch((e: unknown) => this.ports.log.error('mt5: resolving from snapshot failed', e));
  }

  // ------------------------------------------------ status

  status(): GatewayStatus {
    let open = 0;
    for (const s of this.sessions) if (s.state === 'ready') open++;
    return {
      host: this.bound?.host ?? this.opts.host,
      port: this.bound?.port ?? this.opts.port,
      sessions: open,
      accounts: this.accounts.size,
      ticksPerSec: this.ticksPerSec,
      totals: { ...this.totals },
      errors: { ...this.totalErrors },
      ingestLatencyMs: this.latency.summary(),
    };
  }

  /** Sessions, optionally of one tenant. */
  sessionList(tenantId?: string): SessionStatus[] {
    const out: SessionStatus[] = [];
    for (const s of this.sessions) {
      if (tenantId !== undefined && s.account?.tenantId !== tenantId) continue;
      out.push(s.toStatus());
    }
    return out.sort((x, y) => x.connectedAt - y.connectedAt);
  }

  /** Forget latency samples (benchmarks measure a window). */
  resetLatency(): void {
    this.latency.reset();
  }
}
