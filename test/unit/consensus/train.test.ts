import { argmaxAction } from '../../../lib/agents/opinion';
import { bayesianFusion } from '../../../lib/consensus/bayesian';
import { createRunner, modelFromJson, modelToJson } from '../../../lib/consensus/neural';
import { trainEnsemble, TrainingSample } from '../../../lib/consensus/train';
import type { Action, Opinion, Probabilities } from '../../../types/agents';
import { seeded } from '../../helpers/rng';

const ACTIONS: Action[] = ['buy', 'hold', 'sell'];
const OPPOSITE: Record<Action, Action> = { buy: 'sell', hold: 'hold', sell: 'buy' };

function peaked(a: Action, strength: number): Probabilities {
  const rest = (1 - strength) / 2;
  return { buy: a === 'buy' ? strength : rest, hold: a === 'hold' ? strength : rest, sell: a === 'sell' ? strength : rest };
}

/** 'good' is right 85% of the time, 'contrarian' says the opposite 90% of the time, 'noise' is noise. */
function samples(n: number, seed: number): TrainingSample[] {
  const r = seeded(seed);
  const out: TrainingSample[] = [];
  for (let i = 0; i < n; i++) {
    const outcome = ACTIONS[Math.floor(r() * 3)];
    const good = r() < 0.85 ? outcome : ACTIONS[Math.floor(r() * 3)];
    const contra = r() < 0.9 ? OPPOSITE[outcome] : ACTIONS[Math.floor(r() * 3)];
    const noise = ACTIONS[Math.floor(r() * 3)];
    out.push({
      outcome,
      opinions: [
        { agent: 'good', p: peaked(good, 0.6), confidence: 0.6 },
        { agent: 'contrarian', p: peaked(contra, 0.8), confidence: 0.9 },
        { agent: 'noise', p: peaked(noise, 0.7), confidence: 0.8 },
      ],
    });
  }
  return out;
}

describe('neural-ensemble training', () => {
  it('learns whom to trust, out of sample, better than untrained Bayesian fusion; deterministic', async () => {
    const train = samples(1500, 1);
    const test = samples(500, 2);
    const opts = { agents: ['good', 'contrarian', 'noise'], version: 1, epochs: 40, seed: 3 };
    const model = await trainEnsemble(train, opts);
    const runner = createRunner(model);
    let nn = 0;
    let bayes = 0;
    for (const s of test) {
      if (argmaxAction(runner.predict(s.opinions)) === s.outcome) nn++;
      const ops = s.opinions.map((o) => ({ ...o, group: 'research', symbol: 'X', tf: 'M1', signal: 0, rationale: '-', asOf: 0, latencyMs: 0 }) as Opinion);
      if (bayesianFusion(ops).action === s.outcome) bayes++;
    }
    expect(nn / test.length).toBeGreaterThan(0.8);
    expect(nn).toBeGreaterThan(bayes + 100);
    expect(model.metrics?.samples).toBe(1500);
    const again = await trainEnsemble(train, opts);
    expect(Array.from(again.layers[1].w)).toEqual(Array.from(model.layers[1].w));
    // Stored form predicts the same.
    const back = createRunner(modelFromJson(JSON.parse(JSON.stringify(modelToJson(model)))));
    expect(back.predict(test[0].opinions).buy).toBeCloseTo(runner.predict(test[0].opinions).buy, 12);
  }, 60_000);
});
