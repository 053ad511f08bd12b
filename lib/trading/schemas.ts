/**
 * fastest-validator schemas of order messages, shared by the actions that accept them
 * (`trading.submit`, `risk.evaluate`, `POST /orders`). Plain data: no framework import.
 * Types and presence are checked here; domain rules (positive finite volume, steps,
 * SL sides) in lib/trading/validate.ts, with messages that name the reason.
 */
const optNum = { type: 'number', convert: true, optional: true } as const;

export const ORDER_INTENT_PROPS = {
  account: { type: 'string', optional: true, min: 1, max: 64 },
  symbol: { type: 'string', min: 1, max: 32 },
  side: { type: 'enum', values: ['buy', 'sell'] },
  type: { type: 'enum', values: ['market', 'limit', 'stop'], optional: true, default: 'market' },
  volume: { type: 'number', convert: true },
  price: optNum,
  sl: optNum,
  tp: optNum,
  trailing: optNum,
  positionId: { type: 'string', optional: true, max: 64 },
  expiresAt: optNum,
  comment: { type: 'string', optional: true, max: 64 },
} as const;

export const ORDER_INTENT_SCHEMA = { type: 'object', props: ORDER_INTENT_PROPS } as const;
