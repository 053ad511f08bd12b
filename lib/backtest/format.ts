/** Human-readable statistics: the table `plan2 backtest` prints and the HTML report shows. */
import type { BacktestStats } from './stats';

/** `584 days`, `3 days 04:00:00`, `00:15:00`; '—' for NaN. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  const sign = ms < 0 ? '-' : '';
  let r = Math.abs(ms);
  const days = Math.floor(r / 86_400_000);
  r -= days * 86_400_000;
  const hh = Math.floor(r / 3_600_000);
  const mm = Math.floor((r % 3_600_000) / 60_000);
  const ss = (r % 60_000) / 1000;
  const clock = `${String(hh).padStart(2, '0')}:${String(mm).padStart(2, '0')}:${ss < 10 ? '0' : ''}${Number.isInteger(ss) ? ss : ss.toFixed(3)}`;
  if (days && r === 0) return `${sign}${days} day${days === 1 ? '' : 's'}`;
  return days ? `${sign}${days} day${days === 1 ? '' : 's'} ${clock}` : sign + clock;
}

/** At most `digits` decimals, trailing zeros dropped; '—' for NaN. */
function fmt(x: number, digits = 5): string {
  if (Number.isNaN(x)) return '—';
  if (!Number.isFinite(x) || Number.isInteger(x)) return String(x);
  return x.toFixed(digits).replace(/\.?0+$/, '');
}

/** Label/value rows in the reference's order. */
export function statsRows(s: BacktestStats): [string, string][] {
  const iso = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').replace('.000Z', '');
  return [
    ['Start', iso(s.start)],
    ['End', iso(s.end)],
    ['Duration', formatDuration(s.durationMs)],
    ['Exposure Time [%]', fmt(s.exposurePct)],
    ['Equity Final [$]', fmt(s.equityFinal, 2)],
    ['Equity Peak [$]', fmt(s.equityPeak, 2)],
    ['Commissions [$]', fmt(s.commissions, 2)],
    ['Return [%]', fmt(s.returnPct)],
    ['Buy & Hold Return [%]', fmt(s.buyHoldReturnPct)],
    ['Return (Ann.) [%]', fmt(s.returnAnnPct)],
    ['Volatility (Ann.) [%]', fmt(s.volatilityAnnPct)],
    ['CAGR [%]', fmt(s.cagrPct)],
    ['Sharpe Ratio', fmt(s.sharpeRatio)],
    ['Sortino Ratio', fmt(s.sortinoRatio)],
    ['Calmar Ratio', fmt(s.calmarRatio)],
    ['Alpha [%]', fmt(s.alphaPct)],
    ['Beta', fmt(s.beta)],
    ['Max. Drawdown [%]', fmt(s.maxDrawdownPct)],
    ['Avg. Drawdown [%]', fmt(s.avgDrawdownPct)],
    ['Max. Drawdown Duration', formatDuration(s.maxDrawdownDurationMs)],
    ['Avg. Drawdown Duration', formatDuration(s.avgDrawdownDurationMs)],
    ['# Trades', String(s.trades)],
    ['Win Rate [%]', fmt(s.winRatePct)],
    ['Best Trade [%]', fmt(s.bestTradePct)],
    ['Worst Trade [%]', fmt(s.worstTradePct)],
    ['Avg. Trade [%]', fmt(s.avgTradePct)],
    ['Max. Trade Duration', formatDuration(s.maxTradeDurationMs)],
    ['Avg. Trade Duration', formatDuration(s.avgTradeDurationMs)],
    ['Profit Factor', fmt(s.profitFactor)],
    ['Expectancy [%]', fmt(s.expectancyPct)],
    ['SQN', fmt(s.sqn)],
    ['Kelly Criterion', fmt(s.kellyCriterion)],
    ['Sharpe (per bar, ann.)', fmt(s.sharpe)],
  ];
}

export function statsTable(s: BacktestStats): string {
  const rows = statsRows(s);
  const w = Math.max(...rows.map((r) => r[0].length));
  const v = Math.max(...rows.map((r) => r[1].length));
  return rows.map(([k, x]) => `${k.padEnd(w)}  ${x.padStart(v)}`).join('\n');
}
