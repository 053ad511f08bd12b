/**
 * Running a walk-forward training job on a worker thread, with progress.
 * The job and its messages are plain data (structured clone).
 */
import * as path from 'node:path';
import type { EnsembleModelJson } from '../../../lib/consensus/neural';
import type { TrainingSample } from '../../../lib/consensus/train';
import type { WalkForwardReport } from '../../../lib/learning/walk-forward';
import { siblingModule, startWorker } from '../../../lib/util/worker';

export interface TrainJob {
  samples: TrainingSample[];
  agents: string[];
  version: number;
  folds: number;
  epochs: number;
  seed: number;
  margin: number;
  incumbent: EnsembleModelJson | null;
}

export interface TrainProgress {
  fold: number;
  folds: number;
  epoch: number;
  epochs: number;
  loss: number;
}

export type TrainMessage = ({ type: 'progress' } & TrainProgress) | { type: 'done'; candidate: EnsembleModelJson; report: WalkForwardReport } | { type: 'error'; message: string };

/** Train on a worker thread: `result` resolves with the candidate and its report, rejects on a failure, a crash or `stop()`. */
export function trainOnWorker(job: TrainJob, onProgress: (p: TrainProgress) => void): { result: Promise<{ candidate: EnsembleModelJson; report: WalkForwardReport }>; stop(): void } {
  const w = startWorker(siblingModule(path.resolve(__dirname), 'train.worker', __filename), job);
  const result = new Promise<{ candidate: EnsembleModelJson; report: WalkForwardReport }>((resolve, reject) => {
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      fn();
      void w.terminate();
    };
    w.on('message', (m: TrainMessage) => {
      if (m.type === 'progress') onProgress(m);
      else if (m.type === 'done') finish(() => resolve({ candidate: m.candidate, report: m.report }));
      else finish(() => reject(new Error(`training failed: ${m.message}`)));
    });
    w.on('error', (e) => finish(() => reject(e)));
    w.on('exit', (code) => finish(() => reject(new Error(`training worker exited with code ${code} before finishing`))));
  });
  return { result, stop: () => void w.terminate() };
}
