/**
 * Backtest statistics, computed as backtesting.py 0.6's `compute_stats` does,
 * plus a per-bar Sharpe (`sharpe`). Percentages are in percent; durations in
 * ms; undefined values (no trades, no losses, …) are NaN.
 *
 * Conventions (all from the reference, kept on purpose):
 * - Drawdown dd[i] = 1 − equity[i] / max(equity[0..i]); a drawdown period runs
 *   between two bars with dd = 0 (or the last bar) that are more than one bar
 *   apart; its duration is the time between them, its peak the largest dd in it.
 *   `maxDrawdownPct` is negative.
 * - Data period = median spacing of the last 100 timestamps. Durations are
 *   rounded UP to the period's resolution (its smallest non-zero unit of day,
 *   hour, minute, second, ms).
 * - Annualisation: periods of 7, 31, 365 whole days → 52, 12, 1 periods a year;
 *   otherwise 365 days when more than 60 % × 2/7 of the bars fall on a
 *   Saturday/Sunday, else 252. The equity is sampled at the last bar of each
 *   UTC calendar day (or week Mon–Sun, month, year for those periods); their
 *   simple returns r (the first is missing) give
 *   g = geometric mean of (1 + r), the missing first return counting as 0,
 *   return (ann.) = (1 + g)^D − 1,
 *   volatility (ann.) = √((var(r, ddof 1) + (1 + g)²)^D − (1 + g)^(2D)),
 *   Sharpe = (return (ann.) − rf) / volatility (ann.),
 *   Sortino = (return (ann.) − rf) / (√mean(min(r, 0)²) × √D),
 *   Calmar = return (ann.) / max drawdown.
 * - CAGR = (final / initial)^(1 / years) − 1 with years = (whole days +
 *   seconds / 86400) of the run's duration / D (the reference divides calendar
 *   days by D, so for D = 252 this is not a calendar-year CAGR).
 * - Beta = cov(log equity returns, log close returns) / var(log close returns)
 *   per bar; Alpha = return − rf − beta × (buy & hold − rf).
 * - Buy & hold starts at the close of the first bar every indicator has a value.
 * - Exposure = share of bars between a closed trade's entry and exit bar
 *   (inclusive).
 * - Avg. trade = geometric mean of trade returns (0 if any return ≤ −100 %);
 *   profit factor = Σ positive returns / |Σ negative returns| (returns, not
 *   P&L); expectancy = arithmetic mean return; SQN = √n × mean(P&L) /
 *   std(P&L, ddof 1); Kelly = W − (1 − W) / (mean win P&L / mean loss P&L).
 * - `sharpe` (not in the reference): mean / std (ddof 1) of per-bar simple
 *   equity returns over the whole curve × √(bars per year), bars per year =
 *   D for periods of a day or more, D × (1 day / period) below a day.
 */
import type { ClosedTrade } from './types';

export interface StatsInput {
  /** Bar times, ms since epoch UTC, increasing. */
  t: Float64Array;
  close: Float64Array;
  equity: Float64Array;
  trades: readonly ClosedTrade[];
  /** Bars before the strategy could trade (buy & hold starts here). */
  warmupBars?: number;
  /** Annual risk-free rate as a fraction, in (−1, 1). Default 0. */
  riskFreeRate?: number;
}

export interface BacktestStats {
  start: number;
  end: number;
  durationMs: number;
  exposurePct: number;
  equityFinal: number;
  equityPeak: number;
  commissions: number;
  returnPct: number;
  buyHoldReturnPct: number;
  returnAnnPct: number;
  volatilityAnnPct: number;
  cagrPct: number;
  sharpeRatio: number;
  sortinoRatio: number;
  calmarRatio: number;
  alphaPct: number;
  beta: number;
  maxDrawdownPct: number;
  avgDrawdownPct: number;
  maxDrawdownDurationMs: number;
  avgDrawdownDurationMs: number;
  trades: number;
  winRatePct: number;
  bestTradePct: number;
  worstTradePct: number;
  avgTradePct: number;
  maxTradeDurationMs: number;
  avgTradeDurationMs: number;
  profitFactor: number;
  expectancyPct: number;
  sqn: number;
  kellyCriterion: number;
  /** Per-bar Sharpe, see the module docblock. */
  sharpe: number;
  /** Periods per year D used for annualisation. */
  annualPeriods: number;
  barsPerYear: number;
  /** Median bar spacing in ms. */
  periodMs: number;
}

const DAY = 86_400_000;

/** Median spacing of the last 100 timestamps (the reference's data period), ms. */
export function dataPeriodMs(t: ArrayLike<number>): number {
  const from = Math.max(0, t.length - 100);
  const d: number[] = [];
  for (let k = from + 1; k < t.length; k++) d.push(t[k] - t[k - 1]);
  if (!d.length) return NaN;
  d.sort((a, b) => a - b);
  const m = d.length >> 1;
  return d.length % 2 ? d[m] : (d[m - 1] + d[m]) / 2;
}

/** Round `ms` up to the resolution of `periodMs` (its smallest non-zero unit). */
export function ceilToResolution(ms: number, periodMs: number): number {
  if (ms !== ms || periodMs !== periodMs) return ms;
  let unit = 1;
  for (const u of [DAY, 3_600_000, 60_000, 1000]) {
    if (periodMs % u === 0) {
      unit = u;
      break;
    }
  }
  return Math.ceil(ms / unit) * unit;
}

/** The reference's periods per year for a data period and weekend share. */
export function annualPeriods(t: ArrayLike<number>, periodMs: number): number {
  const days = Math.floor(periodMs / DAY);
  if (days === 7) return 52;
  if (days === 31) return 12;
  if (days === 365) return 1;
  let weekend = 0;
  for (let k = 0; k < t.length; k++) {
    const dow = (((Math.floor(t[k] / DAY) + 4) % 7) + 7) % 7; // epoch day 0 was a Thursday (4); Sunday = 0
    if (dow === 0 || dow === 6) weekend++;
  }
  return weekend / t.length > (2 / 7) * 0.6 ? 365 : 252;
}

/** Bucket key of a time for resampling: UTC day, week (Mon–Sun), month or year. */
function bucketOf(ms: number, freq: 'D' | 'W' | 'M' | 'Y'): number {
  const day = Math.floor(ms / DAY);
  if (freq === 'D') return day;
  if (freq === 'W') return Math.floor((day + 3) / 7); // epoch day 0 was a Thursday; weeks start Monday
  const d = new Date(ms);
  return freq === 'M' ? d.getUTCFullYear() * 12 + d.getUTCMonth() : d.getUTCFullYear();
}

function geometricMean(r: ArrayLike<number>): number {
  let logSum = 0;
  for (let k = 0; k < r.length; k++) {
    const x = (r[k] === r[k] ? r[k] : 0) + 1;
    if (x <= 0) return 0;
    logSum += Math.log(x);
  }
  return r.length ? Math.exp(logSum / r.length) - 1 : NaN;
}

function mean(xs: ArrayLike<number>): number {
  let s = 0;
  let n = 0;
  for (let k = 0; k < xs.length; k++) {
    if (xs[k] === xs[k]) {
      s += xs[k];
      n++;
    }
  }
  return n ? s / n : NaN;
}

/** Sample variance (ddof 1) skipping NaN. */
function variance(xs: ArrayLike<number>): number {
  const m = mean(xs);
  let s = 0;
  let n = 0;
  for (let k = 0; k < xs.length; k++) {
    if (xs[k] === xs[k]) {
      s += (xs[k] - m) ** 2;
      n++;
    }
  }
  return n > 1 ? s / (n - 1) : NaN;
}

function orNaN(x: number): number {
  return x === 0 || x !== x ? NaN : x;
}

/** Drawdown series and its periods (end index, duration ms, peak dd). */
export function drawdowns(t: ArrayLike<number>, equity: ArrayLike<number>): { dd: Float64Array; periods: { end: number; durationMs: number; peak: number }[] } {
  const n = equity.length;
  const dd = new Float64Array(n);
  let peak = -Infinity;
  for (let k = 0; k < n; k++) {
    if (equity[k] > peak) peak = equity[k];
    dd[k] = 1 - equity[k] / peak;
  }
  // Marks: bars with dd = 0, plus the last bar; a period lies between consecutive marks > 1 bar apart.
  const periods: { end: number; durationMs: number; peak: number }[] = [];
  let prev = -1;
  for (let k = 0; k < n; k++) {
    if (dd[k] !== 0 && k !== n - 1) continue;
    if (prev >= 0 && k > prev + 1) {
      let p = NaN;
      for (let j = prev; j <= k; j++) if (dd[j] === dd[j] && !(dd[j] <= p)) p = dd[j];
      periods.push({ end: k, durationMs: t[k] - t[prev], peak: p });
    }
    prev = k;
  }
  return { dd, periods };
}

/** All statistics for one run. See the module docblock for every convention. */
export function computeStats(input: StatsInput): BacktestStats {
  const { t, close: c, equity, trades } = input;
  const rf = input.riskFreeRate ?? 0;
  if (!(rf > -1 && rf < 1)) throw new RangeError(`risk-free rate must be in (-1, 1), got ${rf}`);
  const n = equity.length;
  const periodMs = dataPeriodMs(t);
  const D = annualPeriods(t, periodMs);

  const { dd, periods } = drawdowns(t, equity);
  let maxDd = 0;
  for (let k = 0; k < n; k++) if (dd[k] > maxDd) maxDd = dd[k];
  let maxDdDur = NaN;
  let avgDdDur = NaN;
  let avgDdPeak = NaN;
  if (periods.length) {
    let sDur = 0;
    let sPeak = 0;
    let nPeak = 0;
    for (const p of periods) {
      if (!(p.durationMs <= maxDdDur)) maxDdDur = p.durationMs;
      sDur += p.durationMs;
      if (p.peak === p.peak) {
        sPeak += p.peak;
        nPeak++;
      }
    }
    avgDdDur = sDur / periods.length;
    avgDdPeak = nPeak ? sPeak / nPeak : NaN;
  } else {
    // No completed drawdown period: the reference averages the non-zero dd values.
    avgDdPeak = mean(Array.from(dd, (x) => (x === 0 ? NaN : x)));
  }

  const start = t[0];
  const end = t[n - 1];
  const durationMs = end - start;

  const have = new Uint8Array(n);
  let commissions = 0;
  for (const tr of trades) {
    have.fill(1, tr.entryBar, tr.exitBar + 1);
    commissions += tr.commission;
  }
  let exposed = 0;
  for (let k = 0; k < n; k++) exposed += have[k];

  let eqPeak = -Infinity;
  for (let k = 0; k < n; k++) if (equity[k] > eqPeak) eqPeak = equity[k];
  const first = input.warmupBars ?? 0;
  const returnPct = ((equity[n - 1] - equity[0]) / equity[0]) * 100;
  const buyHoldReturnPct = ((c[n - 1] - c[first]) / c[first]) * 100;

  // Period returns of the equity sampled at the last bar of each calendar bucket.
  const days = Math.floor(periodMs / DAY);
  const freq = days === 7 ? 'W' : days === 31 ? 'M' : days === 365 ? 'Y' : 'D';
  const sampled: number[] = [];
  let lastKey = NaN;
  for (let k = 0; k < n; k++) {
    const key = bucketOf(t[k], freq);
    if (key === lastKey) sampled[sampled.length - 1] = equity[k];
    else sampled.push(equity[k]);
    lastKey = key;
  }
  const dayReturns = new Float64Array(sampled.length);
  dayReturns[0] = NaN;
  for (let k = 1; k < sampled.length; k++) dayReturns[k] = sampled[k] / sampled[k - 1] - 1;
  const g = geometricMean(dayReturns);
  const annReturn = (1 + g) ** D - 1;
  const returnAnnPct = annReturn * 100;
  const volatilityAnnPct = Math.sqrt((variance(dayReturns) + (1 + g) ** 2) ** D - (1 + g) ** (2 * D)) * 100;
  const wholeDays = Math.floor(durationMs / DAY);
  const years = (wholeDays + Math.floor((durationMs - wholeDays * DAY) / 1000) / 86400) / D;
  const cagrPct = years ? ((equity[n - 1] / equity[0]) ** (1 / years) - 1) * 100 : NaN;
  const sharpeRatio = (returnAnnPct - rf * 100) / orNaN(volatilityAnnPct);
  const downside = mean(Array.from(dayReturns, (r) => (r === r ? Math.min(r, 0) ** 2 : NaN)));
  const sortinoRatio = (annReturn - rf) / (Math.sqrt(downside) * Math.sqrt(D));
  const calmarRatio = annReturn / orNaN(maxDd);

  // Beta of per-bar log returns against the close.
  let beta = NaN;
  if (n > 2) {
    let se = 0;
    let sm = 0;
    for (let k = 1; k < n; k++) {
      se += Math.log(equity[k] / equity[k - 1]);
      sm += Math.log(c[k] / c[k - 1]);
    }
    const me = se / (n - 1);
    const mm = sm / (n - 1);
    let cov = 0;
    let vm = 0;
    for (let k = 1; k < n; k++) {
      const m = Math.log(c[k] / c[k - 1]) - mm;
      cov += (Math.log(equity[k] / equity[k - 1]) - me) * m;
      vm += m * m;
    }
    beta = cov / vm;
  }
  const alphaPct = returnPct - rf * 100 - beta * (buyHoldReturnPct - rf * 100);

  // Trades.
  const nT = trades.length;
  let wins = 0;
  let best = NaN;
  let worst = NaN;
  let posRet = 0;
  let negRet = 0;
  let sumRet = 0;
  let sumPl = 0;
  let winPl = 0;
  let nWinPl = 0;
  let lossPl = 0;
  let nLossPl = 0;
  let maxDur = NaN;
  let sumDur = 0;
  for (const tr of trades) {
    const r = tr.ret;
    if (tr.pnl > 0) {
      wins++;
      winPl += tr.pnl;
      nWinPl++;
    } else if (tr.pnl < 0) {
      lossPl += tr.pnl;
      nLossPl++;
    }
    if (!(r <= best)) best = r;
    if (!(r >= worst)) worst = r;
    if (r > 0) posRet += r;
    else if (r < 0) negRet += r;
    sumRet += r;
    sumPl += tr.pnl;
    const dur = tr.exitTime - tr.entryTime;
    if (!(dur <= maxDur)) maxDur = dur;
    sumDur += dur;
  }
  const winRate = nT ? wins / nT : NaN;
  const meanPl = nT ? sumPl / nT : NaN;
  const sdPl = Math.sqrt(variance(trades.map((x) => x.pnl)));
  const kelly = winRate - (1 - winRate) / (winPl / nWinPl / (-lossPl / nLossPl));

  // Per-bar Sharpe.
  const barsPerYear = periodMs >= DAY ? D : D * (DAY / periodMs);
  const barRet = new Float64Array(Math.max(0, n - 1));
  for (let k = 1; k < n; k++) barRet[k - 1] = equity[k] / equity[k - 1] - 1;
  const sharpe = (mean(barRet) / orNaN(Math.sqrt(variance(barRet)))) * Math.sqrt(barsPerYear);

  return {
    start,
    end,
    durationMs,
    exposurePct: (exposed / n) * 100,
    equityFinal: equity[n - 1],
    equityPeak: eqPeak,
    commissions,
    returnPct,
    buyHoldReturnPct,
    returnAnnPct,
    volatilityAnnPct,
    cagrPct,
    sharpeRatio,
    sortinoRatio,
    calmarRatio,
    alphaPct,
    beta,
    maxDrawdownPct: -maxDd * 100,
    avgDrawdownPct: -avgDdPeak * 100,
    maxDrawdownDurationMs: ceilToResolution(maxDdDur, periodMs),
    avgDrawdownDurationMs: ceilToResolution(avgDdDur, periodMs),
    trades: nT,
    winRatePct: winRate * 100,
    bestTradePct: best * 100,
    worstTradePct: worst * 100,
    avgTradePct: nT ? geometricMean(trades.map((x) => x.ret)) * 100 : NaN,
    maxTradeDurationMs: ceilToResolution(maxDur, periodMs),
    avgTradeDurationMs: ceilToResolution(nT ? sumDur / nT : NaN, periodMs),
    profitFactor: posRet / orNaN(Math.abs(negRet)),
    expectancyPct: nT ? (sumRet / nT) * 100 : NaN,
    sqn: (Math.sqrt(nT) * meanPl) / orNaN(sdPl),
    kellyCriterion: kelly,
    sharpe,
    annualPeriods: D,
    barsPerYear,
    periodMs,
  };
}
