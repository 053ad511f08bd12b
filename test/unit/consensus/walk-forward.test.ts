import { improve } from '../../../lib/consensus/walk-forward';
import type { TrainingSample } from '../../../lib/consensus/train';
import type { Action, Probabilities } from '../../../types/agents';
import { seeded } from '../../helpers/rng';

const ACTIONS: Action[] = ['buy', 'hold', 'sell'];
const OPP: Record<Action, Action> = { buy: 'sell', hold: 'hold', sell: 'buy' };
const peaked = (a: Action, s: number): Probabilities => ({ buy: a === 'buy' ? s : (1 - s) / 2, hold: a === 'hold' ? s : (1 - s) / 2, sell: a === 'sell' ? s : (1 - s) / 2 });

/** 'good' is right 80% of the time, 'contrarian' wrong 85% of the time. */
function samples(n: number, seed: number, shuffleOutcomes = false): TrainingSample[] {
  const r = seeded(seed);
  return Array.from({ length: n }, () => {
    const outcome = ACTIONS[Math.floor(r() * 3)];
    const good = r() < 0.8 ? outcome : ACTIONS[Math.floor(r() * 3)];
    const contra = r() < 0.85 ? OPP[outcome] : ACTIONS[Math.floor(r() * 3)];
    return { outcome: shuffleOutcomes ? ACTIONS[Math.floor(r() * 3)] : outcome, opinions: [{ agent: 'good', p: peaked(good, 0.6), confidence: 0.6 }, { agent: 'contrarian', p: peaked(contra, 0.8), confidence: 0.9 }] };
  });
}

const opts = { agents: ['good', 'contrarian'], epochs: 40, seed: 5 };

describe('walk-forward model improvement', () => {
  it('promotes a model that beats the Bayesian stand-in out of sample, and not a worse one after it', async () => {
    const data = samples(1400, 1);
    const first = await improve(data, null, { ...opts, version: 1 });
    expect(first.promoted).toBe(true);
    expect(first.candidateOos.logLoss).toBeLessThan(first.incumbentOos.logLoss);
    expect(first.candidateOos.accuracy).toBeGreaterThan(0.7);
    expect(first.reason).toMatch(/^promoted: out-of-sample log loss [\d.]+ .* vs Bayesian fusion \(no model yet\)/);
    expect(first.candidate.metrics!.oosSamples).toBe(1400 - Math.floor(1400 * 0.7));

    // A candidate trained where outcomes carry no information must not replace it.
    const noise = [...samples(980, 2, true), ...data.slice(980)];
    const second = await improve(noise, first.candidate, { ...opts, version: 2 });
    expect(second.promoted).toBe(false);
    expect(second.incumbent).toBe('model v1');
    expect(second.candidateOos.logLoss).toBeGreaterThan(second.incumbentOos.logLoss);
  }, 120_000);

  it('refuses to train on too little', async () => {
    await expect(improve(samples(40, 3), null, { ...opts, version: 1 })).rejects.toThrow(/too few samples/);
  });
});
