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

const nullableStr = { type: 'string', nullable: true } as const;
const nullableNum = { type: 'number', nullable: true } as const;

/**
 * An acknowledged order handed from one trading node to the node that owns its tenant
 * (`trading.adopt`): the fields its row is written from, as the other node built them.
 */
export const ADOPTED_ORDER_SCHEMA = {
  type: 'object',
  props: {
    id: { type: 'string', min: 1, max: 64 },
    tenantId: { type: 'string', min: 1, max: 64 },
    accountId: { type: 'string', min: 1, max: 64 },
    idempotencyKey: { type: 'string', min: 1, max: 200 },
    decisionId: nullableStr,
    symbol: ORDER_INTENT_PROPS.symbol,
    side: ORDER_INTENT_PROPS.side,
    type: { type: 'enum', values: ORDER_INTENT_PROPS.type.values },
    volume: { type: 'number', positive: true },
    price: nullableNum,
    sl: nullableNum,
    tp: nullableNum,
    trailing: nullableNum,
    positionId: nullableStr,
    status: { type: 'equal', value: 'new' },
    comment: nullableStr,
    origin: { type: 'string', min: 1, max: 32 },
    risk: { type: 'object', nullable: true },
    history: { type: 'array', items: 'object' },
    createdAt: { type: 'number', integer: true },
    expiresAt: nullableNum,
  },
} as const;
