import { roundLots } from '../../../lib/trading/positions';
import { WorkingOrders } from '../../../services/trading/working-orders';
import type { Order } from '../../../types/trading';
import { seeded } from '../../helpers/rng';

function order(id: string, symbol: string, side: 'buy' | 'sell', volume: number, filledVolume = 0): Order {
  return {
    id, tenantId: 't', accountId: 'paper', idempotencyKey: id, decisionId: null, symbol, side, type: 'market', volume, price: null, sl: null, tp: null, trailing: null,
    positionId: null, status: filledVolume > 0 ? 'partially_filled' : 'new', filledVolume, avgPrice: null, brokerOrder: null, reason: null, comment: null, origin: 'client',
    risk: null, history: [], createdAt: 0, updatedAt: 0, expiresAt: null,
  };
}

/** The sums recomputed from scratch over the map's orders. */
function bruteForce(w: Map<string, Order>): Map<string, number> {
  const m = new Map<string, number>();
  for (const o of w.values()) m.set(o.symbol, roundLots((m.get(o.symbol) ?? 0) + (o.side === 'buy' ? 1 : -1) * (o.volume - o.filledVolume)));
  return m;
}

describe('WorkingOrders', () => {
  it('keeps per-symbol pending lots equal to a recount through inserts, partial fills, replacements and removals', () => {
    const rnd = seeded(7);
    const w = new WorkingOrders();
    const symbols = ['EURUSD', 'GBPUSD', 'XAUUSD'];
    for (let step = 0; step < 5000; step++) {
      const ids = [...w.keys()];
      const r = rnd();
      if (r < 0.45 || ids.length === 0) {
        const vol = roundLots(0.01 * (1 + Math.floor(rnd() * 200)));
        w.set(`o${step}`, order(`o${step}`, symbols[Math.floor(rnd() * 3)], rnd() < 0.5 ? 'buy' : 'sell', vol));
      } else if (r < 0.7) {
        const prev = w.get(ids[Math.floor(rnd() * ids.length)])!;
        const filled = roundLots(prev.filledVolume + roundLots((prev.volume - prev.filledVolume) * 0.5));
        w.set(prev.id, { ...prev, filledVolume: filled, status: 'partially_filled' });
      } else {
        w.delete(ids[Math.floor(rnd() * ids.length)]);
      }
      const expected = bruteForce(w);
      expect(new Set(w.symbols())).toEqual(new Set(expected.keys()));
      for (const s of symbols) {
        expect(w.pendingLots(s)).toBeCloseTo(expected.get(s) ?? 0, 9);
        expect(w.holds(s)).toBe(expected.has(s));
      }
    }
  });

  it('counts orders given to the constructor, forgets a symbol when its last order goes, and ignores unknown ids', () => {
    const w = new WorkingOrders([order('a', 'EURUSD', 'buy', 0.3), order('b', 'EURUSD', 'sell', 0.1, 0.05)]);
    expect(w.size).toBe(2);
    expect(w.pendingLots('EURUSD')).toBeCloseTo(0.25, 12);
    expect(w.delete('zzz')).toBe(false);
    w.delete('a');
    expect(w.pendingLots('EURUSD')).toBeCloseTo(-0.05, 12);
    w.delete('b');
    expect(w.holds('EURUSD')).toBe(false);
    expect([...w.symbols()]).toEqual([]);
    w.set('c', order('c', 'GBPUSD', 'buy', 1));
    w.clear();
    expect(w.size).toBe(0);
    expect(w.holds('GBPUSD')).toBe(false);
  });
});
