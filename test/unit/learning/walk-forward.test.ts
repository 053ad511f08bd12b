import { bayesianFusion } from '../../../lib/consensus/bayesian';
import { createRunner } from '../../../lib/consensus/neural';
import { trainEnsemble, TrainingSample } from '../../../lib/consensus/train';
import { asOpinions, evaluate, walkForward } from '../../../lib/learning/walk-forward';
import type { Action, Probabilities } from '../../../types/agents';
import { seeded } from '../../helpers/rng';

const ACTIONS: Action[] = ['buy', 'hold', 'sell'];
const OPPOSITE: Record<Action, Action> = { buy: 'sell', hold: 'hold', sell: 'buy' };
const peaked = (a: Action, s: number): Probabilities => ({ buy: a === 'buy' ? s : (1 - s) / 2, hold: a === 'hold' ? s : (1 - s) / 2, sell: a === 'sell' ? s : (1 - s) / 2 });

/** 'good' is right 80% of the time; 'contrarian' confidently says the opposite 85% of the time. */
function samples(n: number, seed: number): TrainingSample[] {
  const r = seeded(seed);
  return Array.from({ length: n }, () => {
    const outcome = ACTIONS[Math.floor(r() * 3)];
    const good = r() < 0.8 ? outcome : ACTIONS[Math.floor(r() * 3)];
    const contra = r() < 0.85 ? OPPOSITE[outcome] : ACTIONS[Math.floor(r() * 3)];
    return { outcome, opinions: [{ agent: 'good', p: peaked(good, 0.6), confidence: 0.6 }, { agent: 'contrarian', p: peaked(contra, 0.8), confidence: 0.9 }] };
  });
}

const AGENTS = ['good', 'contrarian'];
const baseline = (ops: TrainingSample['opinions']) => bayesianFusion(asOpinions(ops)).p;

describe('walk-forward training and promotion', () => {
  const data = samples(900, 1);

  it('promotes a model that beats Bayesian fusion out of sample, and it really is better on unseen data', async () => {
    const progress: string[] = [];
    const { candidate, report } = await walkForward(data, { agents: AGENTS, version: 1, folds: 2, epochs: 20, margin: 0.02, incumbent: null, baseline, onProgress: (p) => progress.push(`${p.fold}/${p.folds}:${p.epoch}/${p.epochs}`) });
    expect(report.promote).toBe(true);
    expect(report.incumbentName).toBe('Bayesian fusion (no model yet)');
    expect(report.folds.map((f) => [f.trainTo, f.testFrom, f.testTo])).toEqual([[300, 300, 600], [600, 600, 900]]);
    expect(report.candidate.logLoss).toBeLessThan(report.incumbent.logLoss - 0.02);
    expect(report.reason).toMatch(/^out of sample the candidate's log loss [\d.]+ beats Bayesian fusion \(no model yet\)'s [\d.]+ by [\d.]+ \(margin 0.02\) and the no-skill forecast's [\d.]+, and wins on the newest block$/);
    expect(report.candidate.logLoss).toBeLessThan(report.noSkill.logLoss);
    expect(progress).toHaveLength(40);
    expect(progress[39]).toBe('2/2:20/20');
    // on fresh data it generated neither to train nor to judge: still better
    const fresh = samples(600, 99);
    const runner = createRunner(candidate);
    const nn = evaluate((ops) => runner.predict(ops), fresh);
    const bayes = evaluate(baseline, fresh);
    expect(nn.logLoss).toBeLessThan(bayes.logLoss);
    expect(nn.accuracy).toBeGreaterThan(bayes.accuracy + 0.2);
    expect(candidate.metrics).toMatchObject({ promoted: 1, samples: 900 });
  }, 120_000);

  it('does not promote a worse model, nor one that is merely as good', async () => {
    const incumbent = createRunner(await trainEnsemble(samples(900, 7), { agents: AGENTS, version: 4, epochs: 20, seed: 1 }));
    const worse = await walkForward(data, { agents: AGENTS, version: 5, folds: 2, epochs: 1, margin: 0.02, incumbent, baseline });
    expect(worse.report.promote).toBe(false);
    expect(worse.report.incumbentName).toBe('model v4');
    expect(worse.report.candidate.logLoss).toBeGreaterThan(worse.report.incumbent.logLoss);
    expect(worse.report.reason).toMatch(/does not beat model v4's/);
    const same = await walkForward(data, { agents: AGENTS, version: 6, folds: 2, epochs: 20, margin: 0.02, incumbent, baseline });
    expect(same.report.promote).toBe(false);
    expect(Math.abs(same.report.candidate.logLoss - same.report.incumbent.logLoss)).toBeLessThan(0.1);
  }, 120_000);

  it('does not promote a model without skill, however bad the incumbent', async () => {
    // outcomes unrelated to the opinions: nothing to learn; the confident Bayesian fusion is worse still
    const r = seeded(5);
    const noise = samples(900, 3).map((s) => ({ ...s, outcome: ACTIONS[Math.floor(r() * 3)] }));
    const wf = await walkForward(noise, { agents: AGENTS, version: 7, folds: 2, epochs: 20, margin: 0.02, incumbent: null, baseline });
    expect(wf.report.incumbent.logLoss).toBeGreaterThan(wf.report.candidate.logLoss);
    expect(wf.report.promote).toBe(false);
    expect(wf.report.reason).toMatch(/no better than forecasting the outcome frequencies/);
  }, 120_000);
});
