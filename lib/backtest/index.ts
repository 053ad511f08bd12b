/** The backtester's public surface (CLI today, the REST job later). */
export * from './types';
export type { Bar, OrderView, PositionView, Strategy, StrategyContext, TradeView } from './strategy';
export { runBacktest, FULL_EQUITY } from './engine';
export { computeStats, type BacktestStats, type StatsInput } from './stats';
export { backtestJson, statsJson, tradeJson, type BacktestJson, type TradeJson } from './result-json';
export { renderReport, renderHeatmap } from './report';
export { statsTable, statsRows, formatDuration } from './format';
export { optimize, walkForward, parseRanges, gridCombos, evaluateTask, type OptimizeSpec, type OptimizeResult, type WalkForwardResult, type Evaluator } from './optimize';
export { BacktestPool } from './worker-pool';
export { ticksToBars, parseLeanQuoteTicks, medianRelativeSpread } from './ticks';
