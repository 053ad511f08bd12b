/**
 * Value at Risk and Expected Shortfall.
 *
 * Conventions (all functions):
 * - `level` is the confidence level, e.g. 0.95 or 0.99; the tail probability is α = 1 − level;
 * - VaR and ES are reported as POSITIVE losses: a VaR95 of 0.021 means "on 5 % of
 *   periods the return was (or is expected to be) −2.1 % or worse". Fractions when the
 *   input is returns, money when the input is money (P&L or exposures);
 * - historical VaR = −q where q = quantile(returns, α), numpy's default linear interpolation;
 * - historical ES = −mean{r : r ≤ q}, the mean of the observations at or below that
 *   (possibly interpolated) quantile; with no observation ≤ q (impossible for α ∈ (0,1]
 *   since the sample minimum is ≤ q) it would be NaN;
 * - parametric (normal) VaR = −(μh + Φ⁻¹(α)·σ√h) and ES = −(μh − σ√h·φ(Φ⁻¹(α))/α)
 *   for a horizon of h periods with i.i.d. returns.
 */
import { DomainError } from '../errors';
import { normalPdf, normalQuantile } from './normal';
import { Rng } from './random';
import { mean, quantileSorted, sortedCopy, std } from './returns';

function checkLevel(level: number): number {
  if (!(level > 0 && level < 1)) throw new DomainError('BAD_LEVEL', `confidence level must be in (0, 1), got ${level}`);
  return 1 - level;
}

function checkSample(xs: ArrayLike<number>): void {
  if (xs.length === 0) throw new DomainError('BAD_SERIES', 'VaR of an empty sample');
  for (let i = 0; i < xs.length; i++) {
    if (!Number.isFinite(xs[i])) throw new DomainError('BAD_SERIES', `sample value at index ${i} is not finite (${xs[i]})`);
  }
}

export interface VarEs {
  /** Positive loss at the level. */
  var: number;
  /** Positive expected loss beyond (at or below) the VaR quantile. */
  es: number;
}

/** Historical VaR and ES of an ascending-sorted sample (see module conventions). */
export function historicalVarEsSorted(sorted: ArrayLike<number>, level: number): VarEs {
  const alpha = checkLevel(level);
  checkSample(sorted);
  const q = quantileSorted(sorted, alpha);
  let s = 0;
  let k = 0;
  for (let i = 0; i < sorted.length && sorted[i] <= q; i++) {
    s += sorted[i];
    k++;
  }
  return { var: -q, es: k === 0 ? NaN : -(s / k) };
}

/** Historical VaR and ES at `level` (see module conventions). */
export function historicalVarEs(returns: ArrayLike<number>, level = 0.95): VarEs {
  return historicalVarEsSorted(sortedCopy(returns), level);
}

/** Historical VaR = −quantile(returns, 1 − level), a positive loss. */
export function historicalVaR(returns: ArrayLike<number>, level = 0.95): number {
  return historicalVarEs(returns, level).var;
}

/** Historical ES = −mean of returns ≤ quantile(returns, 1 − level), a positive loss. */
export function historicalES(returns: ArrayLike<number>, level = 0.95): number {
  return historicalVarEs(returns, level).es;
}

export interface NormalParams {
  /** Mean return per period. */
  mean: number;
  /** Standard deviation of returns per period. */
  std: number;
}

/** Mean and sample standard deviation (ddof 1) of a return series. */
export function fitNormal(returns: ArrayLike<number>): NormalParams {
  checkSample(returns);
  return { mean: mean(returns), std: std(returns, 1) };
}

/**
 * Parametric (variance–covariance, normal) VaR and ES over `horizon` periods:
 * VaR = −(μh + z_α σ√h), ES = −μh + σ√h·φ(z_α)/α, z_α = Φ⁻¹(1 − level).
 * E.g. σ = 1 %, μ = 0: VaR95 = 1.6449 %, VaR99 = 2.3263 %, ES97.5 = 2.3378 %.
 */
export function parametricVarEs(p: NormalParams, level = 0.95, horizon = 1): VarEs {
  const alpha = checkLevel(level);
  if (!(p.std >= 0) || !Number.isFinite(p.mean)) throw new DomainError('BAD_PARAMS', `normal parameters must be finite with std ≥ 0, got mean ${p.mean}, std ${p.std}`);
  if (!(horizon > 0)) throw new DomainError('BAD_PARAMS', `horizon must be > 0, got ${horizon}`);
  const z = normalQuantile(alpha);
  const mu = p.mean * horizon;
  const sigma = p.std * Math.sqrt(horizon);
  return { var: -(mu + z * sigma), es: -mu + (sigma * normalPdf(z)) / alpha };
}

export interface MonteCarloOptions {
  /** Simulated paths (default 100,000). */
  paths?: number;
  /** Seed of the generator; the same seed gives the same answer. */
  seed?: number;
  /** Periods per path; a path's return is the sum of `horizon` i.i.d. normal log returns. */
  horizon?: number;
}

/**
 * Monte-Carlo VaR and ES under i.i.d. normal returns: simulate `paths` horizon
 * returns with a seeded generator and take the historical VaR/ES of the simulated sample.
 * Converges to `parametricVarEs` as paths grow (standard error ~ σ/√paths).
 */
export function monteCarloVarEs(p: NormalParams, level = 0.95, opts: MonteCarloOptions = {}): VarEs {
  checkLevel(level);
  const paths = opts.paths ?? 100_000;
  const horizon = opts.horizon ?? 1;
  if (!(paths >= 1) || !Number.isInteger(paths)) throw new DomainError('BAD_PARAMS', `paths must be a positive integer, got ${paths}`);
  if (!(horizon >= 1) || !Number.isInteger(horizon)) throw new DomainError('BAD_PARAMS', `horizon must be a positive integer, got ${horizon}`);
  const rng = new Rng(opts.seed ?? 42);
  const sample = new Float64Array(paths);
  for (let i = 0; i < paths; i++) {
    let r = 0;
    for (let h = 0; h < horizon; h++) r += p.mean + p.std * rng.normal();
    sample[i] = r;
  }
  return historicalVarEsSorted(sample.sort(), level);
}

/** Lower-triangular L with L·Lᵀ = m for a symmetric positive semi-definite matrix (zero pivots allowed). */
export function cholesky(m: number[][]): number[][] {
  const n = m.length;
  const l: number[][] = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = m[i][j];
      for (let k = 0; k < j; k++) s -= l[i][k] * l[j][k];
      if (i === j) {
        if (s < -1e-12) throw new DomainError('BAD_CORRELATION', 'matrix is not positive semi-definite');
        l[i][i] = Math.sqrt(Math.max(0, s));
      } else {
        l[i][j] = l[j][j] === 0 ? 0 : s / l[j][j];
      }
    }
  }
  return l;
}

export interface PortfolioInput {
  /** Signed money exposure per asset (long > 0, short < 0), in account currency. */
  exposures: number[];
  /** Standard deviation of each asset's return per period (fractions). */
  vols: number[];
  /** Correlation matrix of the assets' returns (symmetric, unit diagonal). */
  correlation: number[][];
  /** Mean return per period per asset (default 0). */
  means?: number[];
}

export interface PortfolioVar {
  /** Portfolio VaR (money, positive). */
  var: number;
  /** Portfolio ES under normality (money, positive). */
  es: number;
  /** Standard deviation of portfolio P&L per horizon (money). */
  sigma: number;
  /** Sum of the assets' stand-alone VaRs (money): the undiversified figure. */
  undiversifiedVar: number;
  /** Euler component VaR of each asset; they sum to `var` (mean term excluded). */
  components: number[];
}

function checkPortfolio(p: PortfolioInput): number {
  const n = p.exposures.length;
  if (p.vols.length !== n || p.correlation.length !== n || p.correlation.some((r) => r.length !== n)) {
    throw new DomainError('BAD_CORRELATION', `exposures (${n}), vols (${p.vols.length}) and a ${n}×${n} correlation matrix must agree`);
  }
  if (p.means && p.means.length !== n) throw new DomainError('BAD_PARAMS', `means must have ${n} entries`);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(p.exposures[i]) || !(p.vols[i] >= 0)) throw new DomainError('BAD_PARAMS', `asset ${i}: exposure must be finite and vol ≥ 0`);
    if (Math.abs(p.correlation[i][i] - 1) > 1e-9) throw new DomainError('BAD_CORRELATION', `correlation[${i}][${i}] must be 1`);
    for (let j = 0; j < n; j++) {
      const c = p.correlation[i][j];
      if (!(c >= -1 && c <= 1) || Math.abs(c - p.correlation[j][i]) > 1e-12) throw new DomainError('BAD_CORRELATION', `correlation[${i}][${j}] must be in [−1, 1] and symmetric`);
    }
  }
  return n;
}

/**
 * Parametric portfolio VaR with correlations (delta-normal):
 * σ_P = √(Σ_i Σ_j e_i e_j σ_i σ_j ρ_ij)·√h, VaR = z·σ_P − Σ e_i μ_i h with z = Φ⁻¹(level).
 * Component VaR_i = z·e_i·(Σe)_i·h / σ_P (Euler allocation, sums to z·σ_P).
 */
export function portfolioVaR(p: PortfolioInput, level = 0.95, horizon = 1): PortfolioVar {
  const alpha = checkLevel(level);
  const n = checkPortfolio(p);
  const z = -normalQuantile(alpha);
  // Covariance-weighted exposures: (Σe)_i = Σ_j σ_i σ_j ρ_ij e_j.
  const se = new Array<number>(n).fill(0);
  let variance = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) se[i] += p.vols[i] * p.vols[j] * p.correlation[i][j] * p.exposures[j];
    variance += p.exposures[i] * se[i];
  }
  const sigma = Math.sqrt(Math.max(0, variance) * horizon);
  let mu = 0;
  for (let i = 0; i < n; i++) mu += p.exposures[i] * (p.means?.[i] ?? 0) * horizon;
  let undiversified = 0;
  for (let i = 0; i < n; i++) undiversified += z * Math.abs(p.exposures[i]) * p.vols[i] * Math.sqrt(horizon);
  const components = se.map((v, i) => (sigma === 0 ? 0 : (z * p.exposures[i] * v * horizon) / sigma));
  return {
    var: z * sigma - mu,
    es: (sigma * normalPdf(z)) / alpha - mu,
    sigma,
    undiversifiedVar: undiversified,
    components,
  };
}

/**
 * Monte-Carlo portfolio VaR/ES with correlated normal returns (Cholesky of the
 * covariance), seeded. P&L of a path = Σ e_i r_i; VaR/ES are the historical ones
 * of the simulated P&L, in money.
 */
export function portfolioMonteCarloVaR(p: PortfolioInput, level = 0.95, opts: MonteCarloOptions = {}): VarEs {
  checkLevel(level);
  const n = checkPortfolio(p);
  const paths = opts.paths ?? 100_000;
  const horizon = opts.horizon ?? 1;
  const l = cholesky(p.correlation);
  const rng = new Rng(opts.seed ?? 42);
  const pnl = new Float64Array(paths);
  const z = new Array<number>(n);
  for (let k = 0; k < paths; k++) {
    let total = 0;
    for (let h = 0; h < horizon; h++) {
      for (let i = 0; i < n; i++) z[i] = rng.normal();
      for (let i = 0; i < n; i++) {
        let c = 0;
        for (let j = 0; j <= i; j++) c += l[i][j] * z[j];
        total += p.exposures[i] * ((p.means?.[i] ?? 0) + p.vols[i] * c);
      }
    }
    pnl[k] = total;
  }
  return historicalVarEsSorted(pnl.sort(), level);
}
