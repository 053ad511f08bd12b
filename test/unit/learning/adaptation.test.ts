import { AdaptationAgent } from '../../../agents/learning/adaptation/adaptation.agent';
import { StrategyFormulationAgent } from '../../../agents/decision/strategy-formulation/strategy-formulation.agent';
import { fitGaussianHmm, filterStates } from '../../../lib/learning/hmm';
import { linearRegression } from '../../../lib/agents/stats';
import type { RegimeChange } from '../../../types/events';
import { TF_MS } from '../../../types/market';
import { eurusdH1, mirror } from '../../helpers/bars';
import { opinionsAt } from '../../helpers/agent-run';
import { seeded } from '../../helpers/rng';

describe('Gaussian HMM', () => {
  it('recovers two well-separated states and filters them', () => {
    const r = seeded(7);
    const normal = () => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
    const truth: number[] = [];
    const xs: [number][] = [];
    let s = 0;
    for (let t = 0; t < 600; t++) {
      if (r() < 0.03) s = 1 - s;
      truth.push(s);
      xs.push([s === 0 ? normal() * 0.5 : 5 + normal() * 0.5]);
    }
    const m = fitGaussianHmm(xs, { initMeans: [[1], [3]] });
    expect(m.means[0]).toBeCloseTo(0, 0);
    expect(m.means[1]).toBeCloseTo(5, 0);
    expect(m.a[0]).toBeGreaterThan(0.9); // sticky, as generated
    const f = filterStates(m, xs);
    const right = f.filter((p, t) => (p[1] > 0.5 ? 1 : 0) === truth[t]).length;
    expect(right / xs.length).toBeGreaterThan(0.97);
  });
});

describe('adaptation agent on EURUSD H1', () => {
  const bars = eurusdH1();
  const agent = new AdaptationAgent();
  const readings = bars.map((b) => {
    agent.update({ type: 'candle.closed', candle: b });
    return agent.reading(b.symbol, b.tf, b.t + TF_MS[b.tf]);
  });
  const changes = agent.drainFacts().map((f) => f.payload as RegimeChange);

  /** 30-bar windows chosen by straight-line fit alone (R² of log closes), 8 of each kind, not overlapping. */
  function windows(best: 'straight' | 'flat'): number[] {
    const W = 30;
    const all: { i: number; r2: number }[] = [];
    for (let i = 300; i < bars.length; i++) all.push({ i, r2: linearRegression(bars.slice(i - W + 1, i + 1).map((b) => Math.log(b.c))).r2 });
    all.sort((x, y) => (best === 'straight' ? y.r2 - x.r2 : x.r2 - y.r2));
    const out: number[] = [];
    for (const w of all) if (out.every((o) => Math.abs(o - w.i) > W)) if (out.push(w.i) === 8) break;
    return out;
  }

  it('labels stretches that run in a straight line trending and flat ones ranging (or volatile), not trending', () => {
    const trend = windows('straight');
    const range = windows('flat');
    const label = (i: number) => readings[i]!.regime;
    expect(trend.filter((i) => label(i) === 'trending').length).toBeGreaterThanOrEqual(6);
    // a flat window may be quiet (ranging) or choppy (volatile), but hardly ever trending
    expect(range.filter((i) => label(i) === 'ranging').length).toBeGreaterThanOrEqual(5);
    expect(range.filter((i) => label(i) === 'trending').length).toBeLessThanOrEqual(1);
    const meanP = (is: number[]) => is.reduce((a, i) => a + readings[i]!.p.trending, 0) / is.length;
    expect(meanP(trend)).toBeGreaterThan(meanP(range) + 0.5);
    // the straightest and the flattest 30 hours of the sample
    expect(label(trend[0])).toBe('trending');
    expect(label(range[0])).toBe('ranging');
  });

  it('gives probabilities that sum to 1 and names regimes by what they measure', () => {
    const agg: Record<string, { n: number; er: number; vr: number }> = {};
    for (const r of readings) {
      if (!r) continue;
      expect(r.p.trending + r.p.ranging + r.p.volatile).toBeCloseTo(1, 9);
      const g = (agg[r.regime] ??= { n: 0, er: 0, vr: 0 });
      g.n++;
      g.er += r.features.efficiency;
      g.vr += r.features.volRatio;
    }
    const mean = (k: string, f: 'er' | 'vr') => agg[k][f] / agg[k].n;
    expect(mean('trending', 'er')).toBeGreaterThan(mean('ranging', 'er'));
    expect(mean('volatile', 'vr')).toBeGreaterThan(mean('trending', 'vr'));
    expect(mean('volatile', 'vr')).toBeGreaterThan(mean('ranging', 'vr'));
  });

  it('publishes regime.changed at each change of the top regime, in time order', () => {
    expect(changes.length).toBeGreaterThan(20);
    expect(changes[0].previous).toBeNull();
    for (let k = 1; k < changes.length; k++) {
      expect(changes[k].time).toBeGreaterThan(changes[k - 1].time);
      expect(changes[k].previous).toBe(changes[k - 1].regime);
      expect(changes[k].regime).not.toBe(changes[k].previous);
    }
  });

  it('leans with a trend, against a stretched range, and the other way on the mirrored series; explains itself', () => {
    const part = bars.slice(0, 2000);
    const trendAt = readings.slice(0, 2000).map((r, i) => (r && r.regime === 'trending' && r.p.trending > 0.9 ? i : -1)).filter((i) => i >= 0 && i % 5 === 0);
    const rangeAt = readings.slice(0, 2000).map((r, i) => (r && r.regime === 'ranging' && r.p.ranging > 0.9 && Math.abs(r.z) > 1 ? i : -1)).filter((i) => i >= 0 && i % 5 === 0);
    const points = [...trendAt, ...rangeAt];
    const ops = opinionsAt(new AdaptationAgent(), part, points);
    const mops = opinionsAt(new AdaptationAgent(), mirror(part), points);
    let agree = 0;
    for (const i of trendAt) if (Math.sign(ops.get(i)!.signal) === Math.sign(Math.log(bars[i].c / bars[i - 30].c))) agree++;
    expect(trendAt.length).toBeGreaterThan(20);
    expect(agree / trendAt.length).toBeGreaterThan(0.9);
    let against = 0;
    for (const i of rangeAt) if (Math.sign(ops.get(i)!.signal) === -Math.sign(readings[i]!.z)) against++;
    expect(rangeAt.length).toBeGreaterThan(10);
    expect(against / rangeAt.length).toBeGreaterThan(0.9);
    // mirrored prices: the same regime mostly, and the opposite lean (log returns are not exactly negated, so not to the last digit)
    let flipped = 0;
    let strong = 0;
    for (const i of points) {
      const a = ops.get(i)!.signal;
      const b = mops.get(i)!.signal;
      if (Math.abs(a) < 0.2) continue;
      strong++;
      if (Math.sign(b) === -Math.sign(a)) flipped++;
    }
    expect(flipped / strong).toBeGreaterThan(0.9);
    const o = ops.get(points[0])!;
    expect(o.rationale).toMatch(/regime trending \(trending 0\.\d+, ranging [\d.]+, volatile [\d.]+\) from a 3-state Gaussian HMM fitted on \d+ bars; over 30 bars the move is [+-][\d.]+% .* → (long|short)\./);
  });
});

describe('adaptation fed the same candle twice (event and query)', () => {
  it('reads exactly as when fed once', () => {
    const bars = eurusdH1().slice(0, 600);
    const once = new AdaptationAgent();
    const twice = new AdaptationAgent();
    for (const b of bars) {
      once.update({ type: 'candle.closed', candle: b });
      twice.update({ type: 'candle.closed', candle: b });
      twice.update({ type: 'candle.closed', candle: { ...b } });
    }
    const at = bars[bars.length - 1].t + TF_MS.H1;
    expect(twice.reading('EURUSD', 'H1', at)).toEqual(once.reading('EURUSD', 'H1', at));
    expect(twice.drainFacts()).toEqual(once.drainFacts());
  });
});

describe('strategy-formulation reads the published regime', () => {
  it('favours the strategies of the regime adaptation published before the bar', () => {
    const bars = eurusdH1().slice(0, 400);
    const a = new StrategyFormulationAgent();
    const b = new StrategyFormulationAgent();
    for (const c of bars) {
      a.update({ type: 'candle.closed', candle: c });
      b.update({ type: 'candle.closed', candle: c });
    }
    const last = bars[bars.length - 1];
    const asOf = last.t + TF_MS.H1;
    const mk = (regime: 'trending' | 'ranging', time: number): RegimeChange => ({ symbol: 'EURUSD', tf: 'H1', time, regime, previous: null, p: { trending: regime === 'trending' ? 0.9 : 0.05, ranging: regime === 'ranging' ? 0.9 : 0.05, volatile: 0.05 }, direction: 1 });
    a.update({ type: 'regime.changed', change: mk('trending', asOf - TF_MS.H1) });
    b.update({ type: 'regime.changed', change: mk('ranging', asOf - TF_MS.H1) });
    // a change stamped at the query's own bar is not used yet
    b.update({ type: 'regime.changed', change: mk('trending', asOf) });
    const oa = a.opine({ symbol: 'EURUSD', tf: 'H1', asOf });
    const ob = b.opine({ symbol: 'EURUSD', tf: 'H1', asOf });
    expect(oa.rationale).toMatch(/regime trending \(adaptation's HMM, p 0\.9/);
    expect(oa.rationale).toMatch(/trend-following t=-?[\d.]+ \(\+1 regime\)/);
    expect(ob.rationale).toMatch(/regime ranging \(adaptation's HMM, p 0\.9/);
    expect(ob.rationale).toMatch(/mean-reversion t=-?[\d.]+ \(\+1 regime\)/);
    expect(oa.features!.regimePublished).toBe(1);
  });
});

describe('adaptation refits as maintenance', () => {
  it('queues the refit at the bar that makes it due, uses it from the next bar, and reads the same whether or not maintain ran in between', () => {
    const bars = eurusdH1().slice(0, 700);
    const lazy = new AdaptationAgent();
    const eager = new AdaptationAgent();
    const lazyReadings: unknown[] = [];
    const eagerReadings: unknown[] = [];
    let queued = 0;
    for (const b of bars) {
      const at = b.t + TF_MS.H1;
      lazy.update({ type: 'candle.closed', candle: b });
      eager.update({ type: 'candle.closed', candle: b });
      lazyReadings.push(lazy.opine({ symbol: b.symbol, tf: b.tf, asOf: at }));
      eagerReadings.push(eager.opine({ symbol: b.symbol, tf: b.tf, asOf: at }));
      if (eager.maintenanceDue()) {
        queued++;
        const before = eager.reading(b.symbol, b.tf, at);
        eager.maintain();
        expect(eager.maintenanceDue()).toBe(false);
        // the bar that queued the fit keeps the reading it had: the new model serves later bars
        expect(eager.reading(b.symbol, b.tf, at)).toEqual(before);
      }
    }
    // a first fit and refits every 100 new bars
    expect(queued).toBeGreaterThanOrEqual(5);
    expect(lazyReadings).toEqual(eagerReadings);
    const last = bars[bars.length - 1];
    const r = eager.reading(last.symbol, last.tf, last.t + TF_MS.H1)!;
    expect(r.fittedThrough).toBeLessThan(last.t + TF_MS.H1);
  });
});
