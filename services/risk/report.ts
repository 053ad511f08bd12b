/**
 * The risk report of one account: exposure, VaR/ES of the current positions, drawdown,
 * stress scenarios and the last day's check verdicts.
 *
 * Conventions:
 * - positions are valued at the current mid; each symbol's signed notional E_s (account
 *   currency) is net lots · contract size · mid · quote→account (base-currency symbols:
 *   net units);
 * - the portfolio's daily P&L on day t is the delta approximation Σ_s E_s · r_{s,t} with
 *   r the simple daily return of the symbol's close; VaR/ES are computed on that series
 *   (historical: lib/risk historicalVarEs; parametric: delta-normal with the sample vols
 *   and correlations; Monte-Carlo: 100,000 seeded correlated paths), 1-day horizon,
 *   positive numbers in account currency;
 * - daily history comes from `market-data.candles({symbol, tf: 'D1', limit})` when it
 *   serves every symbol, else from the bundled OANDA closes (data/risk, 2007–2018);
 *   symbols with no history are listed in `missing` and left out of VaR;
 * - scenarios: ±3 % on each held symbol, the client's shocks (`shocks=EURUSD -3%,…`), named
 *   historical windows replayed on today's positions, and the worst 5-day window.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DATA_BUNDLE_DIR } from '../../paths';
import {
  correlationMatrix,
  historicalVarEs,
  historicalWindowScenario,
  maxDrawdown,
  parseShock,
  portfolioMonteCarloVaR,
  portfolioVaR,
  ScenarioResult,
  shockScenario,
  simpleReturns,
  std,
  StressPosition,
  worstHistoricalWindow,
} from '../../lib/risk';
import type { RiskLimits } from '../../lib/risk/limits';
import type { ExposureLine } from '../../lib/risk/checks';
import { quoteToAccount } from '../../lib/trading/positions';
import type { CallFn } from '../../lib/trading/price-source';
import type { Candle } from '../../types/market';
import type { Book, SymbolSpec } from '../../types/trading';

export interface DailyHistory {
  source: string;
  dates: string[];
  closes: Record<string, number[]>;
  missing: string[];
}

interface Bundle {
  source: string;
  dates: string[];
  closes: Record<string, number[]>;
}

/** Named windows replayed on today's positions (dates inclusive, close to close). */
export const HISTORICAL_WINDOWS: { name: string; from: string; to: string }[] = [
  { name: 'GFC: Lehman to the October 2008 lows (2008-09-12 → 2008-10-24)', from: '2008-09-12', to: '2008-10-24' },
  { name: 'Draghi "whatever it takes" (2012-07-25 → 2012-07-27)', from: '2012-07-25', to: '2012-07-27' },
  { name: 'ECB announces QE (2015-01-21 → 2015-01-23)', from: '2015-01-21', to: '2015-01-23' },
  { name: 'Brexit vote (2016-06-23 → 2016-06-24)', from: '2016-06-23', to: '2016-06-24' },
];

export class HistorySource {
  private bundle: Bundle | null = null;

  constructor(
    private readonly call: CallFn,
    private readonly file = path.join(DATA_BUNDLE_DIR, 'risk', 'fx-daily.json'),
  ) {}

  /** The bundled closes (read once). */
  bundled(): Bundle {
    this.bundle ??= JSON.parse(fs.readFileSync(this.file, 'utf8')) as Bundle;
    return this.bundle;
  }

  private async fromMarketData(symbols: string[], days: number): Promise<DailyHistory | null> {
    const series = new Map<string, Map<string, number>>();
    for (const s of symbols) {
      let candles: Candle[];
      try {
        candles = (await this.call('market-data.candles', { symbol: s, tf: 'D1', limit: days + 1 })) as Candle[];
      } catch {
        return null; // no such action, or no data: the bundle answers instead
      }
      if (!Array.isArray(candles) || candles.length < 30) return null;
      series.set(s, new Map(candles.map((c) => [new Date(c.t).toISOString().slice(0, 10), c.c])));
    }
    return align('market-data D1 candles', symbols, series, days);
  }

  /** Aligned daily closes of `symbols` over their last `days` common dates. */
  async daily(symbols: string[], days: number): Promise<DailyHistory> {
    if (symbols.length === 0) return { source: 'none', dates: [], closes: {}, missing: [] };
    const md = await this.fromMarketData(symbols, days);
    if (md) return md;
    const b = this.bundled();
    const series = new Map<string, Map<string, number>>();
    for (const s of symbols) if (b.closes[s]) series.set(s, new Map(b.dates.map((d, i) => [d, b.closes[s][i]])));
    return align(b.source, symbols, series, days);
  }
}

function align(source: string, symbols: string[], series: Map<string, Map<string, number>>, days: number): DailyHistory {
  const have = symbols.filter((s) => series.has(s));
  const missing = symbols.filter((s) => !series.has(s));
  if (have.length === 0) return { source, dates: [], closes: {}, missing };
  let dates = [...series.get(have[0])!.keys()].filter((d) => have.every((s) => series.get(s)!.has(d))).sort();
  dates = dates.slice(-(days + 1));
  const closes: Record<string, number[]> = {};
  for (const s of have) closes[s] = dates.map((d) => series.get(s)!.get(d)!);
  return { source, dates, closes, missing };
}

export interface ReportInput {
  book: Book & { exposure: ExposureLine[] };
  balances: { time: number; balance: number }[];
  limits: RiskLimits;
  breaker: { at: number; reason: string } | null;
  shocks?: string;
  days: number;
  history: HistorySource;
  spec(symbol: string): Promise<SymbolSpec | null>;
  checkStats: { name: string; failed: number; total: number }[];
  /** The latest evaluations (newest first) with every check's verdict. */
  recent: unknown[];
}

const r2 = (x: number) => Math.round(x * 100) / 100;
const r6 = (x: number) => Math.round(x * 1e6) / 1e6;

export async function buildReport(i: ReportInput) {
  const { book } = i;
  const acc = book.account;
  const equity = book.equity;

  // Net open positions per symbol (working orders are exposure for limits, not for VaR).
  const net = new Map<string, { lots: number; price: number }>();
  for (const p of book.positions) {
    const n = net.get(p.symbol) ?? { lots: 0, price: p.priceOpen };
    n.lots += p.side === 'buy' ? p.volume : -p.volume;
    net.set(p.symbol, n);
  }
  const stress: StressPosition[] = [];
  const signedNotional = new Map<string, number>();
  for (const [symbol, n] of net) {
    if (Math.abs(n.lots) < 1e-9) continue;
    const spec = await i.spec(symbol);
    if (!spec) continue;
    const q = book.quotes[symbol];
    const mid = q ? (q.bid + q.ask) / 2 : n.price;
    const units = n.lots * spec.trade_contract_size;
    const q2a = quoteToAccount(spec, acc.currency, mid);
    stress.push({ symbol, units, price: mid, quoteToAccount: q2a });
    signedNotional.set(symbol, spec.currency_base === acc.currency ? units : units * mid * q2a);
  }

  const symbols = [...signedNotional.keys()].sort();
  const hist = await i.history.daily(symbols, i.days);
  const withHistory = symbols.filter((s) => hist.closes[s]);
  const rets: Record<string, number[]> = {};
  for (const s of withHistory) rets[s] = simpleReturns(hist.closes[s]);
  const nDays = withHistory.length ? rets[withHistory[0]].length : 0;

  let varSection: Record<string, unknown> | null = null;
  if (withHistory.length > 0 && nDays >= 20) {
    const pnl = Array.from({ length: nDays }, (_, t) => withHistory.reduce((a, s) => a + signedNotional.get(s)! * rets[s][t], 0));
    const exposures = withHistory.map((s) => signedNotional.get(s)!);
    const vols = withHistory.map((s) => std(rets[s], 1));
    const corr = correlationMatrix(withHistory.map((s) => rets[s]));
    const level = (L: number) => {
      const h = historicalVarEs(pnl, L);
      const pv = portfolioVaR({ exposures, vols, correlation: corr }, L);
      const mc = portfolioMonteCarloVaR({ exposures, vols, correlation: corr }, L, { paths: 100_000, seed: 20240101 });
      return {
        historical: { var: r2(h.var), es: r2(h.es) },
        parametric: { var: r2(pv.var), es: r2(pv.es), undiversified: r2(pv.undiversifiedVar) },
        monteCarlo: { var: r2(mc.var), es: r2(mc.es) },
        components: Object.fromEntries(withHistory.map((s, k) => [s, r2(pv.components[k])])),
      };
    };
    varSection = {
      horizonDays: 1,
      currency: acc.currency,
      source: hist.source,
      from: hist.dates[0],
      to: hist.dates[hist.dates.length - 1],
      observations: nDays,
      missing: [...hist.missing],
      correlation: { symbols: withHistory, matrix: corr.map((r) => r.map(r6)) },
      dailyVol: Object.fromEntries(withHistory.map((s, k) => [s, r6(vols[k])])),
      '95': level(0.95),
      '99': level(0.99),
      monteCarlo: { paths: 100_000, seed: 20240101 },
    };
  } else if (symbols.length > 0) {
    varSection = { horizonDays: 1, source: hist.source, missing: hist.missing, note: 'not enough daily history for the held symbols' };
  }

  const scenarios: (ScenarioResult & { pnlFraction: number; start?: string; end?: string })[] = [];
  const push = (s: ScenarioResult & { start?: string; end?: string }) => scenarios.push({ ...s, pnl: r2(s.pnl), pnlFraction: equity > 0 ? r6(s.pnl / equity) : 0, bySymbol: Object.fromEntries(Object.entries(s.bySymbol).map(([k, v]) => [k, r2(v)])) });
  for (const p of stress) {
    push(shockScenario(stress, [{ symbol: p.symbol, change: -0.03 }]));
    push(shockScenario(stress, [{ symbol: p.symbol, change: 0.03 }]));
  }
  if (i.shocks) {
    const list = i.shocks.split(',').map((x) => x.trim()).filter(Boolean).map(parseShock);
    if (list.length) push(shockScenario(stress, list, `custom: ${i.shocks}`));
  }
  if (stress.length > 0) {
    const b = i.history.bundled();
    for (const w of HISTORICAL_WINDOWS) {
      const a = b.dates.indexOf(w.from);
      const z = b.dates.indexOf(w.to);
      if (a < 0 || z < 0 || !stress.some((p) => b.closes[p.symbol])) continue;
      push({ ...historicalWindowScenario(stress, b.closes, a, z, w.name), start: w.from, end: w.to });
    }
    if (withHistory.length > 0) {
      const worst = worstHistoricalWindow(stress, hist.closes, 5);
      if (worst) push({ ...worst, name: `worst 5-day window of the last ${nDays} days`, start: hist.dates[worst.start], end: hist.dates[worst.end] });
    }
  }

  const curve = i.balances.map((b) => b.balance).filter((x) => x > 0);
  const balanceDd = curve.length >= 2 ? maxDrawdown(curve) : null;
  const gross = book.exposure.reduce((a, e) => a + e.notional, 0);

  return {
    asOf: Date.now(),
    account: { id: acc.id, broker: acc.broker, mode: acc.mode, currency: acc.currency },
    equity: r2(equity),
    balance: r2(acc.balance),
    unrealizedPnl: r2(equity - acc.balance),
    exposure: {
      bySymbol: book.exposure.map((e) => ({ symbol: e.symbol, netLots: e.netLots, notional: r2(e.notional), pendingLots: book.pendingBySymbol[e.symbol] ?? 0 })),
      gross: r2(gross),
      leverage: equity > 0 ? r6(gross / equity) : null,
    },
    drawdown: {
      current: acc.peakEquity > 0 ? r6(Math.max(0, (acc.peakEquity - equity) / acc.peakEquity)) : 0,
      peakEquity: r2(acc.peakEquity),
      dailyLoss: acc.dayStartEquity > 0 ? r6(Math.max(0, (acc.dayStartEquity - equity) / acc.dayStartEquity)) : 0,
      dayStartEquity: r2(acc.dayStartEquity),
      breaker: i.breaker,
      balanceCurve: balanceDd
        ? { maxDrawdown: r6(balanceDd.maxDrawdown), peakAt: i.balances[balanceDd.peakIndex]?.time ?? null, troughAt: i.balances[balanceDd.troughIndex]?.time ?? null, recovered: balanceDd.recoveryIndex !== null }
        : null,
    },
    var: varSection,
    scenarios,
    limits: i.limits,
    checks: { window: '24h', byName: i.checkStats, recent: i.recent },
  };
}
