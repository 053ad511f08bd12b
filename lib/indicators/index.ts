/**
 * Technical indicators: one streaming + batch interface (see types.ts), TA-Lib
 * conventions where TA-Lib has the indicator (each file's docblock states its
 * convention), and a factory from spec strings (spec.ts).
 */
export * from './types';
export { TA_EPSILON, isZero, Ring } from './base';
export { Sma, SmaCore } from './sma';
export { Ema, EmaCore } from './ema';
export { Wma } from './wma';
export { Dema } from './dema';
export { Tema } from './tema';
export { Rsi, RsiCore } from './rsi';
export { Macd, type MacdOutput } from './macd';
export { BBands } from './bbands';
export { Atr, AtrCore, trueRange } from './atr';
export { Adx, type AdxOutput } from './adx';
export { Stoch, type StochOutput } from './stoch';
export { StochRsi } from './stochrsi';
export { Cci } from './cci';
export { WillR } from './willr';
export { Obv } from './obv';
export { Mfi } from './mfi';
export { Roc, Mom } from './roc';
export { Vwap, type VwapOptions } from './vwap';
export { Donchian } from './donchian';
export { Keltner } from './keltner';
export { Sar } from './sar';
export { SuperTrend, type SuperTrendOutput } from './supertrend';
export { Ichimoku, type IchimokuOutput } from './ichimoku';
export { createIndicator, createIndicators, INDICATORS, INDICATOR_NAMES, type IndicatorDef } from './spec';
export { cloneIndicator } from './clone';
