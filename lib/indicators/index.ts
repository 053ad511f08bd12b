/** Technical indicators: one streaming + batch interface, TA-Lib conventions. See types.ts and base.ts. */
export * from './types';
export { TA_EPSILON, isZero, Ring } from './base';
export { Sma, SmaCore } from './sma';
export { Ema, EmaCore } from './ema';
export { Rsi, RsiCore } from './rsi';
export { Macd, type MacdOutput } from './macd';
export { BBands } from './bbands';
export { createIndicator, createIndicators, INDICATORS, INDICATOR_NAMES, type IndicatorDef } from './spec';
