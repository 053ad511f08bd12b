/**
 * Worker-thread entry of model-improvement: walk-forward training of a
 * neural-ensemble candidate (lib/learning/walk-forward.ts), off the decision
 * path. Receives a `TrainJob` as workerData; posts `progress` messages, then
 * one `done` (candidate and report) or `error`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { bayesianFusion } from '../../../lib/consensus/bayesian';
import { createRunner, modelFromJson, modelToJson } from '../../../lib/consensus/neural';
import { asOpinions, walkForward } from '../../../lib/learning/walk-forward';
import type { TrainJob, TrainMessage } from './training';

const job = workerData as TrainJob;
const post = (m: TrainMessage) => parentPort?.postMessage(m);

walkForward(job.samples, {
  agents: job.agents,
  version: job.version,
  folds: job.folds,
  epochs: job.epochs,
  seed: job.seed,
  margin: job.margin,
  incumbent: job.incumbent ? createRunner(modelFromJson(job.incumbent)) : null,
  baseline: (ops) => bayesianFusion(asOpinions(ops)).p,
  onProgress: (p) => post({ type: 'progress', ...p }),
})
  .then(({ candidate, report }) => post({ type: 'done', candidate: modelToJson(candidate), report }))
  .catch((e: unknown) => post({ type: 'error', message: (e as Error).message }));
