/** The order intake's journal records (services/trading/intake.ts): the current form by name, and the positional form older journals hold. */
import { journalled, JournalOrder } from '../../../services/trading/intake';
import { insertParams, newOrderOf } from '../../../services/trading/trading.store';

const order = newOrderOf({
  id: 'o_1', tenantId: 't1', accountId: 'paper', idempotencyKey: 'k-1', requestHash: 'h1', decisionId: 'd_9', symbol: 'EURUSD', side: 'buy', type: 'limit',
  volume: 0.25, price: 1.0712, sl: 1.065, tp: null, trailing: null, positionId: null, comment: 'é → ✓', origin: 'decision',
  risk: { checks: [{ name: 'var', ok: true }], at: 1_700_000_000_000 } as never, createdAt: 1_700_000_000_123, expiresAt: null,
});

describe('intake journal records', () => {
  it('a record written now names the order and its request hash, and reads back as written (through JSON)', () => {
    const rec: JournalOrder = { v: 1, requestHash: 'h1', order };
    expect(journalled(JSON.parse(JSON.stringify(rec)))).toEqual({ order, requestHash: 'h1' });
  });

  it('a record of an older journal (INSERT parameters by position) reads as the same order', () => {
    const legacy = JSON.parse(JSON.stringify(insertParams(order, 'h1'))) as unknown[];
    expect(journalled(legacy)).toEqual({ order, requestHash: 'h1' });
  });

  it('a record of neither form is refused with a reason, not stored as something else', () => {
    expect(() => journalled(insertParams(order, 'h1').slice(1))).toThrow('a journal record of 21 fields, not 22');
    expect(() => journalled({ v: 2, order } as never)).toThrow('an unknown journal record (version 2)');
    expect(() => journalled(null as never)).toThrow('an unknown journal record');
  });
});
