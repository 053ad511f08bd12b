/**
 * Neural-ensemble fusion: a small MLP over the agents' probability vectors and
 * confidences. Training (lib/consensus/train.ts) uses tfjs; inference here is a
 * plain forward pass over the trained weights in typed arrays, allocation-free,
 * so the decision path never loads tfjs and never waits on a GC-heavy predict.
 *
 * Input layout: for each agent slot of the model, in order,
 * [p.buy, p.hold, p.sell, confidence, present] (absent agents are all zeros).
 * Dense kernels are stored input-major as tfjs keeps them: w[i·out + j].
 * Until a trained model exists the method falls back to Bayesian fusion and
 * says so (`fallback: 'bayesian'`).
 */
import type { FusionResult, Opinion, Probabilities } from '../../types/agents';
import { bayesianFusion, BayesianOptions } from './bayesian';
import { applyVetoes, argmaxAction, edge, noOpinion } from './common';

export const FEATURES_PER_AGENT = 5;

export type Activation = 'relu' | 'tanh' | 'linear' | 'softmax';

export interface DenseLayer {
  in: number;
  out: number;
  /** Kernel, input-major: w[i * out + j]. */
  w: Float64Array;
  b: Float64Array;
  activation: Activation;
}

export interface EnsembleModel {
  version: number;
  /** Agent id per input slot. */
  agents: string[];
  layers: DenseLayer[];
  metrics?: Record<string, number>;
}

/** JSON form stored in Postgres (`ensemble_models.weights`). */
export interface EnsembleModelJson {
  version: number;
  agents: string[];
  layers: { in: number; out: number; activation: Activation; w: number[]; b: number[] }[];
  metrics?: Record<string, number>;
}

export function modelToJson(m: EnsembleModel): EnsembleModelJson {
  return { version: m.version, agents: [...m.agents], layers: m.layers.map((l) => ({ in: l.in, out: l.out, activation: l.activation, w: Array.from(l.w), b: Array.from(l.b) })), metrics: m.metrics };
}

/** Parse and check a stored model (shapes chain, last layer is a 3-way softmax). Throws on a malformed model. */
export function modelFromJson(j: EnsembleModelJson): EnsembleModel {
  if (!Array.isArray(j.agents) || !Array.isArray(j.layers) || j.layers.length === 0) throw new Error('ensemble model: agents and layers required');
  let width = j.agents.length * FEATURES_PER_AGENT;
  const layers = j.layers.map((l, k) => {
    if (l.in !== width) throw new Error(`ensemble model: layer ${k} expects ${l.in} inputs, previous gives ${width}`);
    if (l.w.length !== l.in * l.out || l.b.length !== l.out) throw new Error(`ensemble model: layer ${k} has wrong weight sizes`);
    width = l.out;
    return { in: l.in, out: l.out, activation: l.activation, w: Float64Array.from(l.w), b: Float64Array.from(l.b) };
  });
  const last = layers[layers.length - 1];
  if (last.out !== 3 || last.activation !== 'softmax') throw new Error('ensemble model: last layer must be a 3-way softmax');
  return { version: j.version, agents: [...j.agents], layers, metrics: j.metrics };
}

/** Input vector of a model for a set of opinions (agents not in the model are ignored). */
export function encodeInputs(agents: readonly string[], opinions: readonly Pick<Opinion, 'agent' | 'p' | 'confidence'>[], out = new Float64Array(agents.length * FEATURES_PER_AGENT)): Float64Array {
  out.fill(0);
  for (const o of opinions) {
    const slot = agents.indexOf(o.agent);
    if (slot < 0) continue;
    const k = slot * FEATURES_PER_AGENT;
    out[k] = o.p.buy;
    out[k + 1] = o.p.hold;
    out[k + 2] = o.p.sell;
    out[k + 3] = o.confidence;
    out[k + 4] = 1;
  }
  return out;
}

/** A reusable forward pass with preallocated buffers: x → [buy, hold, sell]. */
export function compileForward(model: EnsembleModel): (x: Float64Array) => Probabilities {
  const bufs = model.layers.map((l) => new Float64Array(l.out));
  return (x: Float64Array) => {
    let input = x;
    for (let k = 0; k < model.layers.length; k++) {
      const l = model.layers[k];
      const y = bufs[k];
      y.set(l.b);
      const { w, out } = l;
      for (let i = 0; i < l.in; i++) {
        const xi = input[i];
        if (xi === 0) continue;
        const base = i * out;
        for (let j = 0; j < out; j++) y[j] += xi * w[base + j];
      }
      if (l.activation === 'relu') for (let j = 0; j < out; j++) y[j] = y[j] > 0 ? y[j] : 0;
      else if (l.activation === 'tanh') for (let j = 0; j < out; j++) y[j] = Math.tanh(y[j]);
      else if (l.activation === 'softmax') {
        let m = -Infinity;
        for (let j = 0; j < out; j++) if (y[j] > m) m = y[j];
        let s = 0;
        for (let j = 0; j < out; j++) {
          y[j] = Math.exp(y[j] - m);
          s += y[j];
        }
        for (let j = 0; j < out; j++) y[j] /= s;
      }
      input = y;
    }
    const buy = input[0];
    const sell = input[2];
    return { buy, hold: 1 - buy - sell, sell };
  };
}

/** A loaded model with its compiled forward pass and input buffer. */
export interface EnsembleRunner {
  model: EnsembleModel;
  predict(opinions: readonly Pick<Opinion, 'agent' | 'p' | 'confidence'>[]): Probabilities;
}

export function createRunner(model: EnsembleModel): EnsembleRunner {
  const fwd = compileForward(model);
  const x = new Float64Array(model.agents.length * FEATURES_PER_AGENT);
  return { model, predict: (ops) => fwd(encodeInputs(model.agents, ops, x)) };
}

/**
 * Neural-ensemble fusion. With no runner (no trained model yet) it returns the
 * Bayesian fusion labelled `method: 'neural', fallback: 'bayesian'`.
 */
export function neuralFusion(runner: EnsembleRunner | null, opinions: readonly Opinion[], fallback: BayesianOptions = {}): FusionResult {
  if (!runner) {
    const b = bayesianFusion(opinions, fallback);
    // Object.assign rather than a spread with added keys (several times cheaper on the decision path).
    return Object.assign({}, b, { method: 'neural' as const, fallback: 'bayesian' as const, note: 'no trained ensemble model yet: Bayesian fusion stands in' + (b.note ? `; ${b.note}` : '') });
  }
  const known = opinions.filter((o) => runner.model.agents.includes(o.agent));
  if (known.length === 0) {
    const r = noOpinion('neural');
    return applyVetoes(opinions.length > 0 ? Object.assign({}, r, { note: `no opinion from the model's agents (model v${runner.model.version})` }) : r, opinions);
  }
  const p = runner.predict(known);
  const action = argmaxAction(p);
  const unknown = opinions.length - known.length;
  const r: FusionResult = { method: 'neural', action, p, confidence: edge(p, action), note: `model v${runner.model.version}` + (unknown > 0 ? `; ${unknown} opinion(s) from agents the model does not know` : '') };
  return applyVetoes(r, opinions);
}
