import { PortfolioOptimizationAgent } from '../../../agents/decision/portfolio-optimization/portfolio-optimization.agent';
import { checkOpinion } from '../../../lib/agents/opinion';
import { correlation } from '../../../lib/agents/stats';
import type { Candle } from '../../../types/market';
import { leanDaily } from '../../helpers/bars';

const eur = leanDaily('eurusd');
const gbp = leanDaily('gbpusd');
const nzd = leanDaily('nzdusd');

function loaded(upTo: number) {
  const a = new PortfolioOptimizationAgent({ window: 250 });
  const feed = (bars: Candle[]) => bars.slice(0, upTo).forEach((c) => a.update({ type: 'candle.closed', candle: c }));
  feed(eur);
  feed(gbp);
  feed(nzd);
  return a;
}

const book = (tenantId: string, positions: { symbol: string; notional: number }[]) => ({ type: 'positions.updated' as const, snapshot: { tenantId, equity: 100_000, positions, time: 0 } });

describe('portfolio-optimization agent on OANDA daily FX', () => {
  const upTo = 1500;
  const asOf = eur[upTo - 1].t + 86_400_000;
  const a = loaded(upTo);
  a.update(book('longGbp', [{ symbol: 'GBPUSD', notional: 100_000 }]));
  a.update(book('shortGbp', [{ symbol: 'GBPUSD', notional: -100_000 }]));
  a.update(book('flat', []));
  const op = (tenantId: string) => {
    const o = a.opine({ symbol: 'EURUSD', tf: 'D1', asOf, tenantId });
    expect(checkOpinion(o)).toEqual([]);
    return o;
  };

  it('knows EURUSD and GBPUSD move together', () => {
    const o = op('longGbp');
    expect(o.features!.rhoBook).toBeGreaterThan(0.4);
    const e = a.graph.edgeSync('EURUSD', 'GBPUSD', 'correlation')!;
    expect(e.n).toBe(250);
    // the same Pearson correlation by hand over the same shared closes
    const tail = (bars: Candle[]) => bars.slice(upTo - 251, upTo).map((b) => b.c);
    const ret = (c: number[]) => c.slice(1).map((x, i) => x / c[i] - 1);
    expect(e.weight).toBeCloseTo(correlation(ret(tail(eur)), ret(tail(gbp))), 12);
  });

  it('discourages more long EURUSD for a tenant long GBPUSD, and favours it for one short GBPUSD', () => {
    const long = op('longGbp');
    const flat = op('flat');
    const short = op('shortGbp');
    expect(long.signal).toBeLessThan(flat.signal);
    expect(short.signal).toBeGreaterThan(flat.signal);
    expect(long.signal).toBeLessThan(0);
    expect(long.rationale).toMatch(/EURUSD correlates \+[\d.]+ with it, so more long concentrates risk and a short hedges/);
    expect(flat.rationale).toMatch(/no open book: only the drift speaks/);
  });

  it('considers the symbols a tenant configures and keeps tenants apart', () => {
    a.configure({ symbols: ['NZDUSD'] }, 'flat');
    expect(op('flat').rationale).toMatch(/correlations NZDUSD \+[\d.]+/);
    expect(op('shortGbp').rationale).not.toMatch(/NZDUSD/);
  });

  it('needs enough shared history', () => {
    const b = loaded(30);
    expect(b.opine({ symbol: 'EURUSD', tf: 'D1', tenantId: 't' }).rationale).toMatch(/30 bars shared|29 bars shared/);
  });
});
