import { bayesianFusion, fuseAll, temperings, weightedVote, reliability, SignalCorrelation } from '../../../lib/consensus';
import { incompleteBeta, lnGamma, probBetterThan } from '../../../lib/consensus/beta';
import { compileForward, createRunner, EnsembleModel, modelFromJson, modelToJson, neuralFusion } from '../../../lib/consensus/neural';
import type { Opinion, Probabilities } from '../../../types/agents';

function op(agent: string, p: Probabilities, confidence: number, veto?: string): Opinion {
  const o: Opinion = { agent, group: 'research', symbol: 'EURUSD', tf: 'M1', signal: p.buy - p.sell, p, confidence, rationale: 'test', asOf: 0, latencyMs: 0 };
  if (veto) o.veto = { reason: veto };
  return o;
}

const A = op('a', { buy: 0.6, hold: 0.3, sell: 0.1 }, 0.5);
const B = op('b', { buy: 0.2, hold: 0.5, sell: 0.3 }, 1.0);

describe('weighted voting', () => {
  it('averages p weighted by weight × confidence (hand-computed)', () => {
    const r = weightedVote([A, B]);
    // Σwc = 1.5; buy (0.3+0.2)/1.5, hold (0.15+0.5)/1.5, sell (0.05+0.3)/1.5
    expect(r.p.buy).toBeCloseTo(0.5 / 1.5, 12);
    expect(r.p.hold).toBeCloseTo(0.65 / 1.5, 12);
    expect(r.p.sell).toBeCloseTo(0.35 / 1.5, 12);
    expect(r.action).toBe('hold');
    // edge = (0.43333 − 1/3)·1.5 = 0.15; confidence = (1.5/2)·0.15
    expect(r.confidence).toBeCloseTo(0.1125, 12);
  });

  it('config weights change the outcome', () => {
    const r = weightedVote([A, B], { a: { weight: 3 } });
    expect(r.p.buy).toBeCloseTo(1.1 / 2.5, 12);
    expect(r.p.hold).toBeCloseTo(0.95 / 2.5, 12);
    expect(r.action).toBe('buy');
    expect(r.confidence).toBeCloseTo((2.5 / 4) * (0.44 - 1 / 3) * 1.5, 12);
  });

  it('learned reliability multiplies the weight: 2·E[hit rate]', () => {
    expect(reliability(1, 1)).toBe(1);
    expect(reliability(3, 1)).toBe(1.5);
    expect(reliability(1, 3)).toBe(0.5);
    // a with Beta(3,1) → w = 1.5; Σwc = 0.75 + 1
    const r = weightedVote([A, B], { a: { alpha: 3, beta: 1 } });
    expect(r.p.buy).toBeCloseTo((0.75 * 0.6 + 0.2) / 1.75, 12);
  });

  it('all abstain → hold, uniform, confidence 0', () => {
    const r = weightedVote([]);
    expect(r).toMatchObject({ action: 'hold', confidence: 0, note: 'no opinions' });
    expect(r.p.buy).toBeCloseTo(1 / 3, 15);
  });

  it('zero weights count as abstentions', () => {
    expect(weightedVote([A], { a: { weight: 0 } }).note).toBe('no opinions');
  });

  it('a buy/sell tie is hold', () => {
    const r = weightedVote([op('a', { buy: 0.7, hold: 0.1, sell: 0.2 }, 1), op('b', { buy: 0.2, hold: 0.1, sell: 0.7 }, 1)]);
    expect(r.p.buy).toBeCloseTo(0.45, 12);
    expect(r.p.sell).toBeCloseTo(0.45, 12);
    expect(r.action).toBe('hold');
    expect(r.confidence).toBe(0);
  });

  it('one veto forces hold and names the reason, keeping the fused p', () => {
    const strongBuy = op('a', { buy: 0.9, hold: 0.05, sell: 0.05 }, 1);
    const r = weightedVote([strongBuy, op('risk', { buy: 0.3, hold: 0.4, sell: 0.3 }, 0.5, 'VaR 3.1% of equity > limit 2%')]);
    expect(r.p.buy).toBeGreaterThan(r.p.hold);
    expect(r.action).toBe('hold');
    expect(r.note).toMatch(/vetoed by risk: VaR 3.1% of equity > limit 2%/);
  });
});

describe('Beta helpers', () => {
  it('ln Γ matches factorials', () => {
    expect(lnGamma(5)).toBeCloseTo(Math.log(24), 12);
    expect(lnGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 12);
  });
  it('regularised incomplete beta against binomial sums', () => {
    expect(incompleteBeta(0.5, 2, 1)).toBeCloseTo(0.25, 12); // x^2
    expect(incompleteBeta(0.5, 1, 2)).toBeCloseTo(0.75, 12); // 1-(1-x)^2
    expect(incompleteBeta(0.3, 2, 3)).toBeCloseTo(6 * 0.09 * 0.49 + 4 * 0.027 * 0.7 + 0.0081, 12);
    expect(incompleteBeta(0.5, 7.5, 7.5)).toBeCloseTo(0.5, 12);
    // I_x(a,b) = P(Binomial(a+b-1, x) ≥ a)
    expect(incompleteBeta(0.9, 30, 2)).toBeCloseTo(31 * Math.pow(0.9, 30) * 0.1 + Math.pow(0.9, 31), 12);
  });
  it('P(hit rate > 1/2): flat prior 0.5, Beta(3,1) 0.875', () => {
    expect(probBetterThan(1, 1)).toBeCloseTo(0.5, 12);
    expect(probBetterThan(3, 1)).toBeCloseTo(0.875, 12);
    expect(probBetterThan(1, 3)).toBeCloseTo(0.125, 12);
  });
});

describe('Bayesian fusion', () => {
  it('one agent without history: posterior ∝ p^(c·0.5) (hand-computed)', () => {
    const r = bayesianFusion([op('a', { buy: 0.6, hold: 0.3, sell: 0.1 }, 1)]);
    const s = Math.sqrt(0.6) + Math.sqrt(0.3) + Math.sqrt(0.1);
    expect(r.p.buy).toBeCloseTo(Math.sqrt(0.6) / s, 12); // 0.472731
    expect(r.p.hold).toBeCloseTo(Math.sqrt(0.3) / s, 12);
    expect(r.p.sell).toBeCloseTo(Math.sqrt(0.1) / s, 12);
    expect(r.action).toBe('buy');
    expect(r.confidence).toBeCloseTo((Math.sqrt(0.6) / s - 1 / 3) * 1.5, 12);
  });

  it('a proven agent counts more: λ = c·P(hit>½)', () => {
    const ops = [op('a', { buy: 0.6, hold: 0.3, sell: 0.1 }, 0.8)];
    expect(temperings(ops)[0]).toBeCloseTo(0.8 * 0.5, 12);
    expect(temperings(ops, { trust: { a: { alpha: 3, beta: 1 } } })[0]).toBeCloseTo(0.8 * 0.875, 12);
    const proven = bayesianFusion(ops, { trust: { a: { alpha: 30, beta: 5 } } });
    const fresh = bayesianFusion(ops);
    expect(proven.p.buy).toBeGreaterThan(fresh.p.buy);
  });

  it('two opinions combine multiplicatively', () => {
    const x = op('x', { buy: 0.5, hold: 0.25, sell: 0.25 }, 1);
    const y = op('y', { buy: 0.25, hold: 0.5, sell: 0.25 }, 1);
    const r = bayesianFusion([x, y]);
    // λ = 0.5 each → ∝ (0.5·0.25)^0.5, (0.25·0.5)^0.5, (0.25·0.25)^0.5 = √0.125, √0.125, 0.25
    const s = 2 * Math.sqrt(0.125) + 0.25;
    expect(r.p.buy).toBeCloseTo(Math.sqrt(0.125) / s, 12);
    expect(r.p.hold).toBeCloseTo(Math.sqrt(0.125) / s, 12);
    expect(r.action).toBe('hold'); // buy/hold tie → hold
  });

  it('perfectly correlated copies count as one agent', () => {
    const p = { buy: 0.7, hold: 0.2, sell: 0.1 };
    const single = bayesianFusion([op('a', p, 1)]);
    const twins = bayesianFusion([op('a', p, 1), op('a2', p, 1)], { correlation: () => 1 });
    expect(twins.p.buy).toBeCloseTo(single.p.buy, 12);
    const counted = bayesianFusion([op('a', p, 1), op('a2', p, 1)]);
    expect(counted.p.buy).toBeGreaterThan(single.p.buy);
  });

  it('a hard zero is floored, not a veto', () => {
    const r = bayesianFusion([op('a', { buy: 0, hold: 0.2, sell: 0.8 }, 1), op('b', { buy: 0.9, hold: 0.1, sell: 0 }, 1)]);
    expect(r.p.buy).toBeGreaterThan(0);
    expect(r.p.sell).toBeGreaterThan(0);
  });

  it('all abstain → the prior; one veto → hold', () => {
    expect(bayesianFusion([])).toMatchObject({ action: 'hold', confidence: 0 });
    const r = bayesianFusion([op('a', { buy: 0.9, hold: 0.05, sell: 0.05 }, 1), op('r', { buy: 0.3, hold: 0.4, sell: 0.3 }, 1, 'drawdown 12% > 10%')]);
    expect(r.p.buy).toBeGreaterThan(0.5);
    expect(r.action).toBe('hold');
    expect(r.note).toContain('drawdown 12% > 10%');
  });
});

describe('neural ensemble', () => {
  // One agent slot; the kernel copies p.buy/p.hold/p.sell to the three logits.
  const identity: EnsembleModel = modelFromJson({
    version: 7,
    agents: ['a'],
    layers: [{ in: 5, out: 3, activation: 'softmax', w: [1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0], b: [0, 0, 0] }],
  });

  it('forward pass by hand: softmax of the copied probabilities', () => {
    const r = neuralFusion(createRunner(identity), [op('a', { buy: 0.6, hold: 0.3, sell: 0.1 }, 1)]);
    const s = Math.exp(0.6) + Math.exp(0.3) + Math.exp(0.1);
    expect(r.p.buy).toBeCloseTo(Math.exp(0.6) / s, 12);
    expect(r.p.sell).toBeCloseTo(Math.exp(0.1) / s, 12);
    expect(r).toMatchObject({ method: 'neural', action: 'buy' });
    expect(r.fallback).toBeUndefined();
    expect(r.note).toBe('model v7');
  });

  it('relu hidden layer zeroes negative units', () => {
    const m = modelFromJson({
      version: 1,
      agents: ['a'],
      layers: [
        { in: 5, out: 2, activation: 'relu', w: [1, -1, 0, 0, 0, 0, 0, 0, 0, 0], b: [0, 0] },
        { in: 2, out: 3, activation: 'softmax', w: [2, 0, 0, 0, 0, 5], b: [0, 0, 0] },
      ],
    });
    // hidden = relu([0.6, -0.6]) = [0.6, 0] → logits [1.2, 0, 0]
    const p = compileForward(m)(Float64Array.from([0.6, 0.3, 0.1, 1, 1]));
    const s = Math.exp(1.2) + 2;
    expect(p.buy).toBeCloseTo(Math.exp(1.2) / s, 12);
    expect(p.hold).toBeCloseTo(1 / s, 12);
  });

  it('falls back to Bayesian without a trained model and says so', () => {
    const ops = [A, B];
    const r = neuralFusion(null, ops);
    const b = bayesianFusion(ops);
    expect(r.method).toBe('neural');
    expect(r.fallback).toBe('bayesian');
    expect(r.p).toEqual(b.p);
    expect(r.note).toMatch(/no trained ensemble model/);
  });

  it('round-trips through JSON and refuses mis-shaped weights', () => {
    const back = modelFromJson(JSON.parse(JSON.stringify(modelToJson(identity))));
    expect(Array.from(back.layers[0].w)).toEqual(Array.from(identity.layers[0].w));
    expect(() => modelFromJson({ version: 1, agents: ['a', 'b'], layers: [{ in: 5, out: 3, activation: 'softmax', w: new Array(15).fill(0), b: [0, 0, 0] }] })).toThrow(/expects 5 inputs, previous gives 10/);
    expect(() => modelFromJson({ version: 1, agents: ['a'], layers: [{ in: 5, out: 2, activation: 'softmax', w: new Array(10).fill(0), b: [0, 0] }] })).toThrow(/3-way softmax/);
  });

  it('all abstain and one veto', () => {
    expect(neuralFusion(createRunner(identity), [])).toMatchObject({ action: 'hold', confidence: 0 });
    const r = neuralFusion(createRunner(identity), [op('a', { buy: 0.9, hold: 0.05, sell: 0.05 }, 1), op('risk', { buy: 0.2, hold: 0.6, sell: 0.2 }, 1, 'event risk')]);
    expect(r.action).toBe('hold');
    expect(r.note).toMatch(/vetoed by risk: event risk/);
  });
});

describe('fuseAll', () => {
  it('computes all three, acts on the tenant method, applies quorum', () => {
    const ops = [op('a', { buy: 0.8, hold: 0.1, sell: 0.1 }, 1), op('b', { buy: 0.7, hold: 0.2, sell: 0.1 }, 1)];
    const r = fuseAll(ops, { method: 'bayesian' });
    expect(r.fusions.map((f) => f.method)).toEqual(['weighted', 'bayesian', 'neural']);
    expect(r.acting.method).toBe('bayesian');
    expect(r.acting.action).toBe('buy');
    const q = fuseAll(ops, { method: 'weighted', quorum: 3 });
    expect(q.acting.action).toBe('hold');
    expect(q.acting.note).toMatch(/quorum not met: 2 of 3/);
  });
});

describe('signal correlation', () => {
  it('learns that two agents move together and a third does not', () => {
    const c = new SignalCorrelation(100, 10);
    for (let i = 0; i < 200; i++) {
      const s = Math.sin(i / 3);
      c.observe({ a: s, b: 0.8 * s + 0.05, x: Math.cos(i * 1.7) });
    }
    expect(c.correlation('a', 'b')).toBeGreaterThan(0.95);
    expect(Math.abs(c.correlation('a', 'x'))).toBeLessThan(0.3);
    expect(c.correlation('a', 'unknown')).toBe(0);
  });
});
