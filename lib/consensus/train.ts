/**
 * Training of the neural-ensemble model with tfjs (wasm backend, falling back
 * to the pure-JS cpu backend). Deterministic for the same samples and seed:
 * seeded initialisers, no shuffling. Off the decision path: the result is a
 * plain `EnsembleModel` whose inference runs in lib/consensus/neural.ts.
 */
import * as path from 'node:path';
import type { Action, Opinion } from '../../types/agents';
import { EnsembleModel, encodeInputs, FEATURES_PER_AGENT } from './neural';

type Tf = typeof import('@tensorflow/tfjs');

let tfReady: Promise<Tf> | null = null;

/** tfjs with the wasm backend when it loads, else cpu. */
export async function loadTf(): Promise<Tf> {
  tfReady ??= (async () => {
    const tf = await import('@tensorflow/tfjs');
    try {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      wasm.setWasmPaths(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + path.sep);
      if (!(await tf.setBackend('wasm'))) throw new Error('wasm backend refused');
    } catch {
      await tf.setBackend('cpu');
    }
    await tf.ready();
    return tf;
  })();
  return tfReady;
}

export interface TrainingSample {
  opinions: Pick<Opinion, 'agent' | 'p' | 'confidence'>[];
  /** What turned out to be right over the horizon. */
  outcome: Action;
}

export interface TrainOptions {
  agents: string[];
  version: number;
  hidden?: number;
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  seed?: number;
  /** Called after every epoch with its training loss (progress reports). */
  onEpoch?: (epoch: number, loss: number) => void;
}

const OUT_INDEX: Record<Action, number> = { buy: 0, hold: 1, sell: 2 };

/** Train an MLP (inputs → hidden ReLU → 3 softmax); returns the model with its final training loss and accuracy. */
export async function trainEnsemble(samples: readonly TrainingSample[], opts: TrainOptions): Promise<EnsembleModel> {
  if (samples.length === 0) throw new Error('no training samples');
  const tf = await loadTf();
  const hidden = opts.hidden ?? 16;
  const seed = opts.seed ?? 1;
  const nIn = opts.agents.length * FEATURES_PER_AGENT;
  const x = new Float32Array(samples.length * nIn);
  const y = new Float32Array(samples.length * 3);
  const row = new Float64Array(nIn);
  samples.forEach((s, i) => {
    encodeInputs(opts.agents, s.opinions, row);
    x.set(row, i * nIn);
    y[i * 3 + OUT_INDEX[s.outcome]] = 1;
  });
  const model = tf.sequential();
  model.add(tf.layers.dense({ units: hidden, inputShape: [nIn], activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed }), biasInitializer: 'zeros' }));
  model.add(tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }), biasInitializer: 'zeros' }));
  model.compile({ optimizer: tf.train.adam(opts.learningRate ?? 0.01), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const xs = tf.tensor2d(x, [samples.length, nIn]);
  const ys = tf.tensor2d(y, [samples.length, 3]);
  try {
    const onEpoch = opts.onEpoch;
    const h = await model.fit(xs, ys, {
      epochs: opts.epochs ?? 60,
      batchSize: opts.batchSize ?? 64,
      shuffle: false,
      verbose: 0,
      ...(onEpoch ? { callbacks: { onEpochEnd: async (epoch: number, logs?: { loss?: number }) => onEpoch(epoch + 1, logs?.loss ?? NaN) } } : {}),
    });
    const layers = await Promise.all(
      model.layers.map(async (l, k) => {
        const [kernel, bias] = l.getWeights();
        const [nin, nout] = kernel.shape as [number, number];
        return { in: nin, out: nout, w: Float64Array.from(await kernel.data()), b: Float64Array.from(await bias.data()), activation: (k === model.layers.length - 1 ? 'softmax' : 'relu') as 'softmax' | 'relu' };
      }),
    );
    const loss = h.history.loss[h.history.loss.length - 1] as number;
    const accs = (h.history.acc ?? h.history.accuracy) as number[] | undefined;
    const metrics: Record<string, number> = { samples: samples.length, trainLoss: loss };
    if (accs && accs.length > 0) metrics.trainAccuracy = accs[accs.length - 1];
    return { version: opts.version, agents: [...opts.agents], layers, metrics };
  } finally {
    xs.dispose();
    ys.dispose();
    model.dispose();
  }
}
