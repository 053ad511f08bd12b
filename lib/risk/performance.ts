/**
 * Risk-adjusted performance and drawdown.
 *
 * Conventions:
 * - returns are per period (bar, day …); `periodsPerYear` annualises (252 trading days by default);
 * - the risk-free rate `riskFree` is per period and subtracted from every return;
 * - Sharpe = mean(r − rf) / std(r − rf, ddof 1) · √periodsPerYear;
 * - Sortino = mean(r − target) / DD · √periodsPerYear with the downside deviation
 *   DD = √(Σ min(0, r − target)² / n) over all n periods (Sortino & Price; the
 *   convention of empyrical and QuantStats);
 * - Calmar = CAGR / max drawdown of the compounded equity, CAGR = (Π(1+r))^(periodsPerYear/n) − 1
 *   for simple returns;
 * - drawdowns are positive fractions of the running peak.
 */
import { DomainError } from '../errors';
import { equityCurve, mean, std } from './returns';

export interface AnnualisationOptions {
  /** Periods in a year: 252 for trading days, 52 weeks, 12 months, 24·260 hourly FX bars … */
  periodsPerYear?: number;
  /** Risk-free (or target) return per period. */
  riskFree?: number;
}

/** Annualised Sharpe ratio (see module conventions). NaN when fewer than 2 returns or zero volatility. */
export function sharpe(returns: ArrayLike<number>, opts: AnnualisationOptions = {}): number {
  const ppy = opts.periodsPerYear ?? 252;
  const rf = opts.riskFree ?? 0;
  const ex = rf === 0 ? returns : Array.from(returns, (r) => r - rf);
  const s = std(ex, 1);
  if (!(s > 0)) return NaN;
  return (mean(ex) / s) * Math.sqrt(ppy);
}

/** Downside deviation √(Σ min(0, r − target)² / n). */
export function downsideDeviation(returns: ArrayLike<number>, target = 0): number {
  const n = returns.length;
  if (n === 0) return NaN;
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const d = Math.min(0, returns[i] - target);
    ss += d * d;
  }
  return Math.sqrt(ss / n);
}

/** Annualised Sortino ratio (see module conventions). +Infinity when no period is below target and the mean is positive. */
export function sortino(returns: ArrayLike<number>, opts: AnnualisationOptions = {}): number {
  const ppy = opts.periodsPerYear ?? 252;
  const target = opts.riskFree ?? 0;
  if (returns.length === 0) return NaN;
  const m = mean(returns) - target;
  const dd = downsideDeviation(returns, target);
  if (dd === 0) return m > 0 ? Infinity : NaN;
  return (m / dd) * Math.sqrt(ppy);
}

export interface Drawdown {
  /** Largest peak-to-trough fall as a positive fraction of the peak (0 when the series never falls). */
  maxDrawdown: number;
  /** Index of the peak that precedes the deepest trough. */
  peakIndex: number;
  /** Index of the deepest trough. */
  troughIndex: number;
  /** First index after the trough where the series is back at or above the peak; null if it never recovers. */
  recoveryIndex: number | null;
  /** Periods from peak to trough. */
  duration: number;
}

/**
 * Maximum drawdown of a level series (prices or equity, all > 0): max over t of
 * (peak_t − x_t) / peak_t with peak_t = max(x_0..x_t). Ties keep the first trough.
 * A series that never falls gives {maxDrawdown: 0, peakIndex: 0, troughIndex: 0, recoveryIndex: 0}.
 */
export function maxDrawdown(levels: ArrayLike<number>): Drawdown {
  const n = levels.length;
  if (n === 0) throw new DomainError('BAD_SERIES', 'drawdown of an empty series');
  let peak = levels[0];
  let peakAt = 0;
  let best = 0;
  let bestPeak = 0;
  let bestTrough = 0;
  for (let i = 0; i < n; i++) {
    const x = levels[i];
    if (!(x > 0) || !Number.isFinite(x)) throw new DomainError('BAD_SERIES', `drawdown needs positive finite levels; index ${i} is ${x}`);
    if (x > peak) {
      peak = x;
      peakAt = i;
    } else {
      const dd = (peak - x) / peak;
      if (dd > best) {
        best = dd;
        bestPeak = peakAt;
        bestTrough = i;
      }
    }
  }
  let recovery: number | null = best === 0 ? 0 : null;
  if (best > 0) {
    const peakLevel = levels[bestPeak];
    for (let i = bestTrough + 1; i < n; i++) {
      if (levels[i] >= peakLevel) {
        recovery = i;
        break;
      }
    }
  }
  return { maxDrawdown: best, peakIndex: bestPeak, troughIndex: bestTrough, recoveryIndex: recovery, duration: bestTrough - bestPeak };
}

/** Compound annual growth rate of simple returns: (Π(1+r))^(periodsPerYear/n) − 1. */
export function cagr(simple: ArrayLike<number>, periodsPerYear = 252): number {
  const n = simple.length;
  if (n === 0) return NaN;
  const curve = equityCurve(simple);
  const growth = curve[curve.length - 1];
  if (growth <= 0) return -1;
  return Math.pow(growth, periodsPerYear / n) - 1;
}

/**
 * Calmar ratio of simple returns: CAGR / max drawdown of the compounded equity curve
 * (starting at 1 before the first return). +Infinity when there is no drawdown and CAGR > 0.
 */
export function calmar(simple: ArrayLike<number>, periodsPerYear = 252): number {
  const g = cagr(simple, periodsPerYear);
  const curve = equityCurve(simple);
  if (curve.some((v) => !(v > 0))) return NaN;
  const dd = maxDrawdown(curve).maxDrawdown;
  if (dd === 0) return g > 0 ? Infinity : NaN;
  return g / dd;
}
