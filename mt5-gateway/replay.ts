/**
 * The replay feed: reads tick files and plays them over the real MT5 wire
 * exactly as an EA would (hello, symbols, ticks with seq, pongs, resume from
 * the gateway's backfill answer, reconnect with backoff).
 *
 * Readers (all times become UTC ms):
 * - Lean tick quotes `ms_since_midnight,bid,ask`, the date from the file name
 *   `YYYYMMDD_…`, UTC; CRLF or LF; fractional ms allowed (floored).
 * - HistData ASCII ticks `YYYYMMDD HHMMSSfff,bid,ask,vol`, fixed UTC−5 (EST, no DST).
 * - Generic CSV `time,bid,ask` (optional header), time ISO-8601 with offset
 *   (none = UTC) or ms since 1970.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { encode, LineReader, OutboundMessage, parseOutbound, ParseFailure, SymbolSpec } from './protocol';

export type TickFileFormat = 'lean' | 'histdata' | 'csv';

/** A file's ticks as parallel arrays (UTC ms, prices). */
export interface TickSeries {
  symbol: string | null;
  format: TickFileFormat;
  length: number;
  time: Float64Array;
  bid: Float64Array;
  ask: Float64Array;
  /** Decimals seen in the prices (for the symbol spec). */
  digits: number;
}

export class TickFileError extends Error {
  constructor(file: string, line: number, message: string) {
    super(`${path.basename(file)}:${line}: ${message}`);
    this.name = 'TickFileError';
  }
}

const CURRENCIES = new Set('USD EUR JPY GBP CHF AUD NZD CAD SEK NOK DKK PLN HUF CZK TRY ZAR MXN SGD HKD CNH CNY RUB INR BRL KRW THB ILS XAU XAG XPT XPD BTC ETH'.split(' '));

/** EURUSD from `20140508_eurusd_tick_quote.csv`, `usdjpy-ticks.csv`, `DAT_ASCII_EURUSD_T_202001.csv`; null if none. */
export function symbolFromFileName(file: string): string | null {
  const name = path.basename(file).toUpperCase();
  for (let i = 0; i + 6 <= name.length; i++) {
    const s = name.slice(i, i + 6);
    if (/^[A-Z]{6}$/.test(s) && CURRENCIES.has(s.slice(0, 3)) && CURRENCIES.has(s.slice(3)) && s.slice(0, 3) !== s.slice(3)) return s;
  }
  return null;
}

const LEAN_LINE = /^\d+(\.\d+)?,[-+0-9.eE]+,[-+0-9.eE]+$/;
const HISTDATA_LINE = /^\d{8} \d{9},/;

/** Guess the format from the file name and first data line. */
export function detectFormat(file: string, firstLine: string): TickFileFormat {
  if (HISTDATA_LINE.test(firstLine)) return 'histdata';
  if (/^\d{8}_/.test(path.basename(file)) && LEAN_LINE.test(firstLine) && Number(firstLine.split(',')[0]) < 86_400_000) return 'lean';
  return 'csv';
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/;

/** ISO-8601 (space or T, fractions up to ns, offset or Z; none = UTC) or ms since 1970 → UTC ms; NaN if neither. */
export function parseTime(s: string): number {
  const t = s.trim();
  if (/^\d{10,}(\.\d+)?$/.test(t)) return Math.floor(Number(t));
  const m = ISO.exec(t);
  if (!m) return NaN;
  const frac = m[7] ? Number(m[7].padEnd(3, '0').slice(0, 3)) : 0;
  let ms = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6], frac);
  const off = m[8];
  if (off && off !== 'Z') {
    const sign = off[0] === '-' ? -1 : 1;
    const digits = off.slice(1).replace(':', '');
    ms -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || '0')) * 60_000;
  }
  return ms;
}

function decimals(s: string): number {
  const dot = s.indexOf('.');
  return dot === -1 ? 0 : s.length - dot - 1;
}

/**
 * Read a tick file into UTC series. `format` overrides detection; `symbol`
 * overrides the name inferred from the file name. Throws TickFileError with the
 * line number on a malformed line.
 */
export function readTickFile(file: string, opts: { format?: TickFileFormat; symbol?: string } = {}): TickSeries {
  const text = fs.readFileSync(file, 'utf8');
  const lines = text.split(/\r?\n/);
  let start = 0;
  while (start < lines.length && lines[start].trim() === '') start++;
  if (start >= lines.length) throw new TickFileError(file, 1, 'empty file');
  // a header line (letters in the first field) is skipped for every format
  const header = /^[A-Za-z_ ]+,/.test(lines[start]) ? lines[start++].toLowerCase() : null;
  const format = opts.format ?? detectFormat(file, lines[start] ?? '');
  const n = lines.length - start;
  const time = new Float64Array(n);
  const bid = new Float64Array(n);
  const ask = new Float64Array(n);
  let k = 0;
  let digits = 0;
  let leanDate = 0;
  if (format === 'lean') {
    const m = /^(\d{4})(\d{2})(\d{2})_/.exec(path.basename(file));
    if (!m) throw new TickFileError(file, 0, 'a Lean tick file name starts with YYYYMMDD_');
    leanDate = Date.UTC(+m[1], +m[2] - 1, +m[3]);
  }
  let timeCol = 0;
  let bidCol = 1;
  let askCol = 2;
  if (format === 'csv' && header) {
    const cols = header.split(',').map((c) => c.trim());
    timeCol = cols.findIndex((c) => c === 'time' || c === 'timestamp' || c === 'date' || c === 'datetime');
    bidCol = cols.indexOf('bid');
    askCol = cols.indexOf('ask');
    if (timeCol < 0 || bidCol < 0 || askCol < 0) throw new TickFileError(file, start, `header needs time (or timestamp), bid and ask columns, got "${header}"`);
  }
  for (let i = start; i < lines.length; i++) {
    const line = lines[i];
    if (line.length === 0 || line.trim() === '') continue;
    const f = line.split(',');
    let t: number;
    let b: string;
    let a: string;
    if (format === 'lean') {
      t = leanDate + Math.floor(Number(f[0]));
      b = f[1];
      a = f[2];
    } else if (format === 'histdata') {
      const d = f[0];
      if (!/^\d{8} \d{9}$/.test(d)) throw new TickFileError(file, i + 1, `expected YYYYMMDD HHMMSSfff, got "${d}"`);
      // fixed EST (UTC−5, no daylight saving)
      t = Date.UTC(+d.slice(0, 4), +d.slice(4, 6) - 1, +d.slice(6, 8), +d.slice(9, 11), +d.slice(11, 13), +d.slice(13, 15), +d.slice(15, 18)) + 5 * 3600_000;
      b = f[1];
      a = f[2];
    } else {
      t = parseTime(f[timeCol] ?? '');
      b = f[bidCol];
      a = f[askCol];
    }
    const bv = Number(b);
    const av = Number(a);
    if (!Number.isFinite(t) || b === undefined || a === undefined || !Number.isFinite(bv) || !Number.isFinite(av) || b.trim() === '' || a.trim() === '') {
      throw new TickFileError(file, i + 1, `cannot read a ${format} tick from "${line.slice(0, 80)}"`);
    }
    time[k] = t;
    bid[k] = bv;
    ask[k] = av;
    if (k < 2000) digits = Math.max(digits, Math.min(decimals(b.trim()), 8), Math.min(decimals(a.trim()), 8));
    k++;
  }
  return { symbol: opts.symbol ?? symbolFromFileName(file), format, length: k, time: time.subarray(0, k), bid: bid.subarray(0, k), ask: ask.subarray(0, k), digits };
}

// ---------------------------------------------------------------- the replay client

export interface ReplayOptions {
  file: string;
  /** Symbol name to send (broker name); default: from the file name. */
  symbol?: string;
  /** Replay speed: data time runs this many times faster than wall time. 0 or Infinity = as fast as the wire allows. Default 60. */
  speed?: number;
  /** Start over at the end, shifting times forward by whole days so they keep increasing. */
  loop?: boolean;
  host?: string;
  port?: number;
  token: string;
  signal?: AbortSignal;
  format?: TickFileFormat;
  /** The account this feed claims to be. */
  login?: string;
  server?: string;
  /** Pretend the trade server runs at this offset from UTC (seconds); times are sent in that clock. */
  serverOffsetSec?: number;
  /** Resume after the gateway's backfill point for the symbol (skip what is stored). Default true. */
  resume?: boolean;
  /** Reconnect with backoff when the connection drops. Default true. */
  reconnect?: boolean;
  /** Ticks per socket write at most (the socket's backpressure is honoured between writes). */
  chunkTicks?: number;
  onEvent?: (e: ReplayEvent) => void;
}

export type ReplayEvent =
  | { kind: 'connected'; session: string }
  | { kind: 'resume'; from: number | null }
  | { kind: 'error'; code: string; message: string; fatal: boolean }
  | { kind: 'disconnected'; reconnectInMs: number | null }
  | { kind: 'loop'; loops: number };

export interface ReplayStats {
  file: string;
  symbol: string;
  format: TickFileFormat;
  ticksInFile: number;
  sent: number;
  loops: number;
  connects: number;
  errors: Record<string, number>;
  lastSeq: number;
  /** UTC ms of the last tick sent. */
  lastTime: number | null;
  done: boolean;
  /** Why it stopped: end of file, aborted, or a fatal gateway error. */
  reason: string | null;
}

export interface ReplayHandle {
  /** Resolves when the replay ends (file done without loop, aborted, or a fatal error). */
  done: Promise<ReplayStats>;
  stats(): ReplayStats;
  stop(): void;
}

const DAY = 86_400_000;
const NO_RETRY = new Set(['BAD_TOKEN', 'ACCOUNT_MISMATCH', 'UNSUPPORTED_PROTOCOL', 'SESSION_REPLACED']);

function specFor(symbol: string, digits: number): SymbolSpec {
  const base = symbol.slice(0, 3);
  const profit = symbol.slice(3, 6);
  const fx = symbol.length === 6 && CURRENCIES.has(base) && CURRENCIES.has(profit);
  const d = Math.max(0, Math.min(digits, 8));
  return {
    name: symbol,
    digits: d,
    point: Number((10 ** -d).toFixed(d)),
    trade_tick_size: Number((10 ** -d).toFixed(d)),
    trade_contract_size: fx ? 100_000 : 1,
    volume_min: 0.01,
    volume_max: 100,
    volume_step: 0.01,
    filling_mode: 3,
    trade_mode: 'full',
    trade_exemode: 'market',
    description: 'replay of ' + symbol,
    ...(fx ? { currency_base: base, currency_profit: profit, currency_margin: base } : {}),
  };
}

/**
 * Replay a tick file to an MT5 gateway over TCP, as an EA would. Returns at once;
 * `done` resolves when it ends. `npm start` runs the bundled Lean EURUSD day with
 * `loop: true, speed: 60` (one M1 candle per second).
 */
export function startReplay(opts: ReplayOptions): ReplayHandle {
  const series = readTickFile(opts.file, { format: opts.format, symbol: opts.symbol });
  if (!series.symbol) throw new Error(`cannot tell the symbol of ${path.basename(opts.file)}; pass symbol`);
  if (series.length === 0) throw new Error(`${path.basename(opts.file)} has no ticks`);
  const symbol = series.symbol;
  const speed = opts.speed ?? 60;
  const fast = !(speed > 0) || !Number.isFinite(speed);
  const offsetMs = (opts.serverOffsetSec ?? 0) * 1000;
  const span = series.time[series.length - 1] - series.time[0];
  const loopShift = Math.max(1, Math.ceil((span + 1) / DAY)) * DAY;
  const chunkTicks = opts.chunkTicks ?? 512;
  const stats: ReplayStats = { file: opts.file, symbol, format: series.format, ticksInFile: series.length, sent: 0, loops: 0, connects: 0, errors: {}, lastSeq: 0, lastTime: null, done: false, reason: null };
  const ctl = new AbortController();
  const onAbort = () => ctl.abort();
  if (opts.signal) {
    if (opts.signal.aborted) ctl.abort();
    else opts.signal.addEventListener('abort', onAbort, { once: true });
  }
  const emit = (e: ReplayEvent) => opts.onEvent?.(e);
  // position in the (possibly looping) stream: iteration and index
  let iter = 0;
  let idx = 0;
  const timeAt = (it: number, i: number) => series.time[i] + it * loopShift;

  /** Move the cursor just past `last` (UTC ms). */
  function resumeAfter(last: number): void {
    if (opts.loop) {
      const it = Math.max(0, Math.floor((last - series.time[0]) / loopShift));
      iter = it;
      idx = 0;
      while (true) {
        while (idx < series.length && timeAt(iter, idx) <= last) idx++;
        if (idx < series.length) break;
        iter++;
        idx = 0;
      }
    } else {
      iter = 0;
      idx = 0;
      while (idx < series.length && series.time[idx] <= last) idx++;
    }
  }

  async function session(): Promise<'ended' | 'closed' | 'fatal'> {
    const sock = net.connect(opts.port ?? 8001, opts.host ?? '127.0.0.1');
    sock.setNoDelay(true);
    let closed = false;
    let fatal: string | null = null;
    let wake: (() => void) | null = null;
    const poke = () => {
      const w = wake;
      wake = null;
      w?.();
    };
    let started: number | null | undefined; // undefined = waiting for the starting point
    const reader = new LineReader(
      (line) => {
        const m = parseOutbound(line);
        if (m instanceof ParseFailure) return;
        handle(m);
      },
      () => undefined,
    );
    let seq = 0;
    const handle = (m: OutboundMessage) => {
      switch (m.type) {
        case 'ping':
          // never after end(): a write after end errors and destroys the socket with unsent ticks in it
          if (!sock.writableEnded && !sock.destroyed) sock.write(encode({ type: 'pong', id: m.id, time: Date.now() }));
          break;
        case 'welcome':
          stats.connects++;
          emit({ kind: 'connected', session: m.session });
          if (symbol in m.last_time_msc && started === undefined) started = m.last_time_msc[symbol] - offsetMs;
          break;
        case 'backfill':
          if (m.symbols.includes(symbol) && started === undefined) {
            started = symbol in m.last_time_msc ? m.last_time_msc[symbol] - offsetMs : null;
          }
          poke();
          break;
        case 'error':
          stats.errors[m.code] = (stats.errors[m.code] ?? 0) + 1;
          emit({ kind: 'error', code: m.code, message: m.message, fatal: m.fatal === true });
          if (m.fatal) fatal = m.code;
          break;
        default:
          break; // a replay feed executes no orders
      }
    };
    sock.on('data', (c: Buffer) => reader.push(c));
    sock.on('drain', poke);
    const closedP = new Promise<void>((resolve) => {
      sock.on('close', () => {
        closed = true;
        poke();
        resolve();
      });
    });
    sock.on('error', () => undefined);
    const abortListener = () => poke();
    ctl.signal.addEventListener('abort', abortListener);
    try {
      await new Promise<void>((resolve) => {
        sock.once('connect', resolve);
        sock.once('close', resolve);
      });
      if (closed) return 'closed';
      sock.write(
        encode({ type: 'hello', protocol: 1, token: opts.token, login: opts.login ?? '1000001', server: opts.server ?? 'Plan2-Replay', server_offset_sec: offsetMs / 1000, ea: 'plan2-replay', version: '1', build: 0, company: 'Plan2 replay', currency: 'USD', leverage: 100, margin_mode: 'hedging', trade_mode: 'demo', trade_allowed: false, connected: true }) +
          encode({ type: 'symbols', symbols: [specFor(symbol, series.digits)] }),
      );
      // wait for the starting point (welcome or the backfill answer)
      while (started === undefined && !closed && !fatal && !ctl.signal.aborted) await new Promise<void>((r) => (wake = r));
      if (closed || fatal) return fatal ? 'fatal' : 'closed';
      if (ctl.signal.aborted) return 'ended';
      if (opts.resume !== false && started !== null && started !== undefined) resumeAfter(started);
      emit({ kind: 'resume', from: started ?? null });
      const wall0 = performance.now();
      const data0 = timeAt(iter, Math.min(idx, series.length - 1));
      let out = '';
      while (!closed && !fatal && !ctl.signal.aborted) {
        if (idx >= series.length) {
          if (!opts.loop) {
            if (out) sock.write(out);
            out = '';
            // let the gateway take the last ticks before we close
            await new Promise((r) => setTimeout(r, 50));
            return 'ended';
          }
          iter++;
          idx = 0;
          stats.loops++;
          emit({ kind: 'loop', loops: stats.loops });
        }
        const t = timeAt(iter, idx);
        if (!fast) {
          const due = wall0 + (t - data0) / speed;
          const wait = due - performance.now();
          if (wait > 1) {
            if (out) {
              sock.write(out);
              out = '';
            }
            await new Promise<void>((r) => {
              wake = r;
              setTimeout(() => poke(), Math.min(wait, 1000));
            });
            continue;
          }
        }
        seq++;
        out += `{"type":"tick","seq":${seq},"symbol":${JSON.stringify(symbol)},"time_msc":${t + offsetMs},"bid":${series.bid[idx]},"ask":${series.ask[idx]}}\n`;
        stats.sent++;
        stats.lastSeq = seq;
        stats.lastTime = t;
        idx++;
        if (seq % chunkTicks === 0) {
          const ok = sock.write(out);
          out = '';
          if (!ok && !closed) await new Promise<void>((r) => (wake = r));
        }
      }
      if (out && !closed) sock.write(out);
      return fatal ? 'fatal' : ctl.signal.aborted ? 'ended' : 'closed';
    } finally {
      ctl.signal.removeEventListener('abort', abortListener);
      if (!closed) {
        // Half-close and let the gateway read everything and close its side: destroying
        // earlier would drop what is still buffered (and a reset discards what it has not read).
        sock.end();
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([closedP, new Promise((r) => (timer = setTimeout(r, 30_000)))]);
        clearTimeout(timer);
        sock.destroy();
      }
    }
  }

  const done = (async (): Promise<ReplayStats> => {
    let backoff = 500;
    try {
      for (;;) {
        const before = stats.sent;
        const r = await session();
        if (r === 'ended') {
          stats.reason = ctl.signal.aborted ? 'aborted' : 'end of file';
          break;
        }
        const lastFatal = Object.keys(stats.errors).find((c) => NO_RETRY.has(c));
        if (r === 'fatal' && lastFatal) {
          stats.reason = `gateway refused: ${lastFatal}`;
          break;
        }
        if (opts.reconnect === false || ctl.signal.aborted) {
          stats.reason = ctl.signal.aborted ? 'aborted' : 'connection closed';
          break;
        }
        if (stats.sent > before) backoff = 500;
        const delay = Math.min(30_000, backoff) * (0.8 + 0.4 * ((stats.sent % 100) / 100));
        emit({ kind: 'disconnected', reconnectInMs: Math.round(delay) });
        backoff *= 2;
        await new Promise<void>((r) => {
          const t = setTimeout(r, delay);
          ctl.signal.addEventListener(
            'abort',
            () => {
              clearTimeout(t);
              r();
            },
            { once: true },
          );
        });
        if (ctl.signal.aborted) {
          stats.reason = 'aborted';
          break;
        }
      }
    } finally {
      stats.done = true;
      opts.signal?.removeEventListener('abort', onAbort);
    }
    return stats;
  })();

  return { done, stats: () => ({ ...stats, errors: { ...stats.errors } }), stop: () => ctl.abort() };
}
