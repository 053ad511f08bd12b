/**
 * The risk summary of one price series, as `plan2 risk` prints it.
 *
 * Conventions (exactly):
 * - returns of consecutive prices (log by default, `simple` on request), n = prices − 1;
 * - mean: arithmetic; std: ddof 1;
 * - sharpe = mean / std · √252, risk-free 0;
 * - varXX = −quantile(returns, 1 − XX/100) with numpy's linear interpolation;
 * - esXX = −mean of the returns ≤ quantile(returns, 1 − XX/100);
 * - maxDrawdown: largest (peak − trough)/peak of the PRICE series as a positive fraction,
 *   with the price indices of that peak and trough.
 */
import { DomainError } from '../errors';
import { maxDrawdown, sharpe } from './performance';
import { mean, ReturnKind, returnsOf, sortedCopy, std } from './returns';
import { historicalVarEsSorted } from './var';

export interface SeriesRiskSummary {
  n: number;
  returns: ReturnKind;
  mean: number;
  std: number;
  sharpe: number;
  var95: number;
  var99: number;
  es95: number;
  es99: number;
  maxDrawdown: number;
  peakIndex: number;
  troughIndex: number;
}

/** Risk summary of a price series (see module conventions); needs at least 3 prices. */
export function seriesRiskSummary(prices: ArrayLike<number>, kind: ReturnKind = 'log'): SeriesRiskSummary {
  if (prices.length < 3) throw new DomainError('BAD_SERIES', `need at least 3 prices (2 returns) for a standard deviation, got ${prices.length}`);
  const r = returnsOf(prices, kind);
  const sorted = sortedCopy(r);
  const v95 = historicalVarEsSorted(sorted, 0.95);
  const v99 = historicalVarEsSorted(sorted, 0.99);
  const dd = maxDrawdown(prices);
  return {
    n: r.length,
    returns: kind,
    mean: mean(r),
    std: std(r, 1),
    sharpe: sharpe(r, { periodsPerYear: 252 }),
    var95: v95.var,
    var99: v99.var,
    es95: v95.es,
    es99: v99.es,
    maxDrawdown: dd.maxDrawdown,
    peakIndex: dd.peakIndex,
    troughIndex: dd.troughIndex,
  };
}
