/**
 * system-health (monitoring, market-scoped, advisory + veto): is this platform
 * and its data fit to trade on? Vetoes every decision while it is not.
 *
 * Fed by its service once a second with a `HealthSample` (wall clock: event-loop
 * delay, memory, database round trip, transporter round trips and node
 * availability, per-symbol time of the last tick that reached the platform),
 * by `candle.closed` (data gaps) and by `flowchain.spans` (error rates of
 * actions). Pure: "now" is the time of the latest sample.
 *
 * Checks (name — veto when / warn when):
 * - `stale_data` — no tick of the symbol for more than `staleAfterMs` (or none ever);
 * - `data_gap` — the symbol's bar series skipped more than `gapBars` bars within
 *   the trading week (a gap spanning a Saturday is the weekend, not a fault),
 *   for `recoverBars` bars after it: indicators straddle the hole;
 * - `event_loop` — p99 event-loop delay over the last `lagSamples` samples
 *   above `maxLagMs` (veto) / `warnLagMs` (warn);
 * - `database` — the last round trip failed (veto) or took over `warnDbMs`;
 * - `error_rate` — share of action spans ending in a server error (5xx or no
 *   code) over the last `errorWindowMs`, with at least `minCalls`, above
 *   `maxErrorRate` (veto) / `warnErrorRate` (warn);
 * - `transporter` — a known node unavailable, or a round trip above
 *   `warnRttMs` (warn only: agents elsewhere abstain by themselves).
 */
import type { Agent, AgentEvent, OpinionDraft } from '../../../lib/agents/agent';
import { advisoryDraft, fmt } from '../../../lib/agents/opinion';
import { applyParams, ParamSchema } from '../../../lib/agents/params';
import type { AdvisoryNote, OpinionQuery } from '../../../types/agents';
import type { SpanRecord } from '../../../types/flowchain';
import { TF_MS, Timeframe } from '../../../types/market';

export interface HealthSample {
  /** Wall clock of the sample (ms). */
  at: number;
  node: string;
  /** Event-loop delay since the previous sample, ms. */
  eventLoop: { p50: number; p99: number; max: number };
  memory: { rssMb: number; heapUsedMb: number };
  /** null: this node has no database connection to check. */
  db: { ok: boolean; latencyMs: number | null; error?: string } | null;
  /** null: in-process (local) transporter. */
  transporter: { nodes: { id: string; available: boolean; rttMs: number | null }[] } | null;
  /** Per symbol: wall-clock time the last tick reached the platform, and that tick's own time. */
  feed: Record<string, { lastArrivalAt: number | null; lastTickTime: number | null }>;
}

export interface HealthParams {
  staleAfterMs: number;
  gapBars: number;
  recoverBars: number;
  lagSamples: number;
  maxLagMs: number;
  warnLagMs: number;
  warnDbMs: number;
  errorWindowMs: number;
  minCalls: number;
  maxErrorRate: number;
  warnErrorRate: number;
  warnRttMs: number;
}

export const HEALTH_PARAMS: ParamSchema<HealthParams> = {
  staleAfterMs: { type: 'number', min: 1000, max: 86_400_000, integer: true, doc: 'ms without a tick of the symbol after which its data is stale' },
  gapBars: { type: 'number', min: 1, max: 100_000, integer: true, doc: 'missing bars within the trading week that count as a data gap' },
  recoverBars: { type: 'number', min: 0, max: 10_000, integer: true, doc: 'bars after a gap during which trading stays vetoed' },
  lagSamples: { type: 'number', min: 1, max: 3600, integer: true, doc: 'samples the event-loop delay is judged over' },
  maxLagMs: { type: 'number', min: 1, max: 600_000, doc: 'p99 event-loop delay that vetoes' },
  warnLagMs: { type: 'number', min: 1, max: 600_000, doc: 'p99 event-loop delay that warns' },
  warnDbMs: { type: 'number', min: 1, max: 600_000, doc: 'database round trip that warns' },
  errorWindowMs: { type: 'number', min: 1000, max: 86_400_000, integer: true, doc: 'window of the action error rate' },
  minCalls: { type: 'number', min: 1, max: 1_000_000, integer: true, doc: 'calls in the window before the error rate is judged' },
  maxErrorRate: { type: 'number', min: 0, max: 1, doc: 'server-error share that vetoes' },
  warnErrorRate: { type: 'number', min: 0, max: 1, doc: 'server-error share that warns' },
  warnRttMs: { type: 'number', min: 1, max: 600_000, doc: 'transporter round trip that warns' },
};

const DEFAULTS: HealthParams = {
  staleAfterMs: 120_000,
  gapBars: 30,
  recoverBars: 10,
  lagSamples: 10,
  maxLagMs: 1000,
  warnLagMs: 200,
  warnDbMs: 500,
  errorWindowMs: 60_000,
  minCalls: 20,
  maxErrorRate: 0.5,
  warnErrorRate: 0.1,
  warnRttMs: 250,
};

export type CheckLevel = 'ok' | 'warn' | 'veto';

export interface HealthCheck {
  name: 'stale_data' | 'data_gap' | 'event_loop' | 'database' | 'error_rate' | 'transporter';
  level: CheckLevel;
  detail: string;
  value?: number | null;
  limit?: number | null;
}

export interface HealthReport {
  status: 'ok' | 'degraded' | 'halted';
  at: number | null;
  node: string | null;
  checks: HealthCheck[];
  eventLoop: HealthSample['eventLoop'] | null;
  memory: HealthSample['memory'] | null;
  db: HealthSample['db'];
  transporter: HealthSample['transporter'];
  feed: Record<string, { lastArrivalAt: number | null; lastTickTime: number | null; ageMs: number | null }>;
  errors: { calls: number; serverErrors: number; rate: number | null; windowMs: number };
}

/** Does [from, to) contain a Saturday (UTC)? Then a gap over it is the weekend. */
function spansWeekend(from: number, to: number): boolean {
  for (let t = from; t < to; t += 6 * 3_600_000) if (new Date(t).getUTCDay() === 6) return true;
  return new Date(to).getUTCDay() === 6;
}

/** A server error: a 5xx or an error without a numeric code (client rejections are business as usual). */
function isServerError(s: SpanRecord): boolean {
  if (!s.error) return false;
  const c = s.error.code;
  return typeof c !== 'number' || c >= 500;
}

export class SystemHealthAgent implements Agent {
  readonly id = 'system-health';
  readonly group = 'monitoring' as const;
  readonly scope = 'market' as const;
  readonly events = ['candle.closed', 'flowchain.spans'] as const;
  private params: HealthParams;
  private readonly samples: HealthSample[] = [];
  /** Bar open times per series (the last few hundred), to find gaps. */
  private readonly barTimes = new Map<string, number[]>();
  /** Action spans per second of their start: second → [calls, server errors]; seconds older than the window are dropped. */
  private readonly calls = new Map<number, [number, number]>();
  private latestSpan = 0;

  constructor(params: Partial<HealthParams> = {}) {
    this.params = applyParams(HEALTH_PARAMS, DEFAULTS, params);
  }

  update(e: AgentEvent): void {
    if (e.type === 'candle.closed') {
      const c = e.candle;
      const k = c.symbol + '|' + c.tf;
      let ts = this.barTimes.get(k);
      if (!ts) this.barTimes.set(k, (ts = []));
      if (ts.length === 0 || c.t > ts[ts.length - 1]) ts.push(c.t);
      else if (c.t !== ts[ts.length - 1] && !ts.includes(c.t)) {
        ts.push(c.t);
        ts.sort((a, b) => a - b);
      }
      if (ts.length > 600) ts.splice(0, ts.length - 500);
    } else if (e.type === 'flowchain.spans') {
      for (const s of e.batch.spans) {
        if (s.kind !== 'action') continue;
        const sec = Math.floor(s.start / 1000);
        const b = this.calls.get(sec);
        const err = isServerError(s) ? 1 : 0;
        if (b) {
          b[0]++;
          b[1] += err;
        } else this.calls.set(sec, [1, err]);
        if (s.start > this.latestSpan) this.latestSpan = s.start;
      }
      const oldest = Math.floor((this.latestSpan - 2 * this.params.errorWindowMs) / 1000);
      for (const sec of this.calls.keys()) if (sec < oldest) this.calls.delete(sec);
    }
  }

  /** One sample from the service (wall clock). */
  sample(s: HealthSample): void {
    this.samples.push(s);
    if (this.samples.length > 3600) this.samples.splice(0, this.samples.length - 3600);
  }

  private errorStats(now: number): HealthReport['errors'] {
    const from = Math.floor((Math.max(now, this.latestSpan) - this.params.errorWindowMs) / 1000);
    let calls = 0;
    let bad = 0;
    for (const [sec, [n, e]] of this.calls) {
      if (sec < from) continue;
      calls += n;
      bad += e;
    }
    return { calls, serverErrors: bad, rate: calls > 0 ? bad / calls : null, windowMs: this.params.errorWindowMs };
  }

  /** Every check for one symbol and timeframe as of `asOf` (bars) and the latest sample (clock). */
  checks(symbol: string, tf: Timeframe, asOf?: number): HealthCheck[] {
    const p = this.params;
    const s = this.samples[this.samples.length - 1];
    const out: HealthCheck[] = [];
    // stale data
    if (s) {
      const f = s.feed[symbol];
      const age = f && f.lastArrivalAt !== null ? s.at - f.lastArrivalAt : null;
      if (age === null) out.push({ name: 'stale_data', level: 'veto', detail: `no ${symbol} tick has reached the platform`, value: null, limit: p.staleAfterMs });
      else if (age > p.staleAfterMs) out.push({ name: 'stale_data', level: 'veto', detail: `no ${symbol} tick for ${fmt(age / 1000, 3)} s (limit ${fmt(p.staleAfterMs / 1000, 3)} s)`, value: age, limit: p.staleAfterMs });
      else out.push({ name: 'stale_data', level: 'ok', detail: `last ${symbol} tick ${fmt(age / 1000, 3)} s ago`, value: age, limit: p.staleAfterMs });
    }
    // data gap
    const ts = this.barTimes.get(symbol + '|' + tf);
    if (ts && ts.length > 1) {
      const ms = TF_MS[tf];
      const lastOpen = asOf !== undefined ? asOf - ms : ts[ts.length - 1];
      let i = ts.length - 1;
      while (i > 0 && ts[i] > lastOpen) i--;
      let gap: { from: number; to: number; missing: number; barsSince: number } | null = null;
      for (let j = i; j > 0 && i - j <= p.recoverBars; j--) {
        const missing = Math.round((ts[j] - ts[j - 1]) / ms) - 1;
        if (missing > p.gapBars && !spansWeekend(ts[j - 1] + ms, ts[j])) {
          gap = { from: ts[j - 1] + ms, to: ts[j], missing, barsSince: i - j };
          break;
        }
      }
      if (gap)
        out.push({
          name: 'data_gap',
          level: 'veto',
          detail: `${symbol} ${tf} is missing ${gap.missing} bars from ${new Date(gap.from).toISOString().slice(0, 16)}Z to ${new Date(gap.to).toISOString().slice(0, 16)}Z (${gap.barsSince} bar(s) ago; trading resumes ${p.recoverBars} bars after a gap)`,
          value: gap.missing,
          limit: p.gapBars,
        });
      else out.push({ name: 'data_gap', level: 'ok', detail: `no gap over ${p.gapBars} bars in the last ${p.recoverBars} bars`, value: 0, limit: p.gapBars });
    }
    if (!s) return out;
    // event loop
    const recent = this.samples.slice(-p.lagSamples);
    const lag = Math.max(...recent.map((x) => x.eventLoop.p99));
    out.push({
      name: 'event_loop',
      level: lag > p.maxLagMs ? 'veto' : lag > p.warnLagMs ? 'warn' : 'ok',
      detail: `event-loop delay p99 ${fmt(lag, 3)} ms over the last ${recent.length} s (veto above ${p.maxLagMs} ms)`,
      value: lag,
      limit: p.maxLagMs,
    });
    // database
    if (s.db) {
      if (!s.db.ok) out.push({ name: 'database', level: 'veto', detail: `database unreachable: ${s.db.error ?? 'no answer'}; decisions and orders cannot be recorded`, value: null, limit: null });
      else
        out.push({
          name: 'database',
          level: (s.db.latencyMs ?? 0) > p.warnDbMs ? 'warn' : 'ok',
          detail: `database round trip ${fmt(s.db.latencyMs ?? 0, 3)} ms`,
          value: s.db.latencyMs,
          limit: p.warnDbMs,
        });
    }
    // error rate
    const err = this.errorStats(s.at);
    if (err.calls >= p.minCalls && err.rate !== null)
      out.push({
        name: 'error_rate',
        level: err.rate > p.maxErrorRate ? 'veto' : err.rate > p.warnErrorRate ? 'warn' : 'ok',
        detail: `${err.serverErrors} of ${err.calls} calls failed with a server error in the last ${fmt(p.errorWindowMs / 1000, 3)} s (${fmt(err.rate * 100, 3)}%)`,
        value: err.rate,
        limit: p.maxErrorRate,
      });
    // transporter
    if (s.transporter) {
      const down = s.transporter.nodes.filter((n) => !n.available).map((n) => n.id);
      const rtts = s.transporter.nodes.map((n) => n.rttMs).filter((x): x is number => x !== null);
      const worst = rtts.length > 0 ? Math.max(...rtts) : null;
      out.push({
        name: 'transporter',
        level: down.length > 0 || (worst !== null && worst > p.warnRttMs) ? 'warn' : 'ok',
        detail: (down.length > 0 ? `node(s) unavailable: ${down.join(', ')}; ` : '') + `${s.transporter.nodes.length} node(s), slowest round trip ${worst === null ? 'n/a' : fmt(worst, 3) + ' ms'}`,
        value: worst,
        limit: p.warnRttMs,
      });
    }
    return out;
  }

  /** The report behind `GET /system/health`: the checks of `symbol`, or the system-wide checks plus the freshness of every symbol seen. */
  report(symbol?: string, tf: Timeframe = 'M1'): HealthReport {
    const s = this.samples[this.samples.length - 1] ?? null;
    let unique: HealthCheck[];
    if (symbol) unique = this.checks(symbol, tf);
    else {
      const symbols = Object.keys(s?.feed ?? {}).sort();
      unique = [...symbols.flatMap((sym) => this.checks(sym, tf).filter((c) => c.name === 'stale_data')), ...this.checks('', tf).filter((c) => c.name !== 'stale_data' && c.name !== 'data_gap')];
    }
    const status = unique.some((c) => c.level === 'veto') ? 'halted' : unique.some((c) => c.level === 'warn') ? 'degraded' : 'ok';
    const feed: HealthReport['feed'] = {};
    for (const [k, f] of Object.entries(s?.feed ?? {})) feed[k] = { ...f, ageMs: s && f.lastArrivalAt !== null ? s.at - f.lastArrivalAt : null };
    return {
      status,
      at: s?.at ?? null,
      node: s?.node ?? null,
      checks: unique,
      eventLoop: s?.eventLoop ?? null,
      memory: s?.memory ?? null,
      db: s?.db ?? null,
      transporter: s?.transporter ?? null,
      feed,
      errors: this.errorStats(s?.at ?? this.latestSpan),
    };
  }

  /**
   * What a shared opinion depends on: which checks veto or warn, per symbol
   * seen. When it changes between two samples the service tells consensus to
   * stop reusing this candle's opinion.
   */
  statusKey(): string {
    const s = this.samples[this.samples.length - 1];
    const symbols = Object.keys(s?.feed ?? {}).sort();
    const parts = symbols.map((sym) => sym + ':' + this.checks(sym, 'M1').filter((c) => c.level !== 'ok' && c.name !== 'data_gap').map((c) => c.name + c.level).join(','));
    parts.push(this.checks('', 'M1').filter((c) => c.level !== 'ok' && c.name !== 'stale_data' && c.name !== 'data_gap').map((c) => c.name + c.level).join(','));
    return parts.join('|');
  }

  opine(q: OpinionQuery): OpinionDraft {
    const head = { agent: this.id, group: this.group, symbol: q.symbol, tf: q.tf, asOf: q.asOf ?? this.samples[this.samples.length - 1]?.at ?? 0 };
    if (this.samples.length === 0) return advisoryDraft(head, [{ code: 'no_health_sample', level: 'info', message: 'no health sample taken yet' }], 'System health: not measured yet (the first sample is taken a second after start).');
    const checks = this.checks(q.symbol, q.tf, q.asOf);
    const vetoes = checks.filter((c) => c.level === 'veto');
    const warns = checks.filter((c) => c.level === 'warn');
    const notes: AdvisoryNote[] = [
      ...vetoes.map((c) => ({ code: c.name, level: 'critical' as const, message: c.detail })),
      ...warns.map((c) => ({ code: c.name, level: 'warn' as const, message: c.detail })),
    ];
    const features: Record<string, number> = {};
    for (const c of checks) if (typeof c.value === 'number') features[c.name] = c.value;
    const summary = checks.map((c) => `${c.name} ${c.level}`).join(', ');
    if (vetoes.length > 0) {
      const reason = vetoes.map((c) => `${c.name}: ${c.detail}`).join('; ');
      return advisoryDraft(head, notes, `System degraded for ${q.symbol} (${summary}): ${reason}. No trading until it recovers.`, { veto: { reason }, features });
    }
    const detail = checks.map((c) => c.detail).join('; ');
    return advisoryDraft(head, notes, `System ${warns.length > 0 ? 'degraded but trading' : 'healthy'} for ${q.symbol}: ${detail}.`, { features });
  }

  configure(patch: Record<string, unknown>): Record<string, unknown> {
    this.params = applyParams(HEALTH_PARAMS, this.params, patch);
    return { ...this.params };
  }

  config(): Record<string, unknown> {
    return { ...this.params };
  }

  snapshot(): Record<string, unknown> {
    const r = this.report();
    return { status: r.status, samples: this.samples.length, series: this.barTimes.size };
  }
}
