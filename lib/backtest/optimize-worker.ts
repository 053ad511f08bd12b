/** Worker-thread entry of `BacktestPool`: evaluates batches of (params, bar range) tasks. */
import { parentPort, workerData } from 'node:worker_threads';
import { getStrategy } from '../strategies/registry';
import { evaluateTask, type EvalResult } from './optimize';
import { barsFromShared, type WorkerInit, type WorkerReply, type WorkerRequest } from './worker-pool';

const init = workerData as WorkerInit;
const bars = barsFromShared(init.buffer, init.length, init.symbol);
const def = getStrategy(init.strategy);

parentPort?.on('message', (req: WorkerRequest) => {
  let reply: WorkerReply;
  try {
    const results: EvalResult[] = req.tasks.map((task) => evaluateTask(bars, def, init.opts, init.maximize, task));
    reply = { id: req.id, results };
  } catch (e) {
    reply = { id: req.id, error: (e as Error).message };
  }
  parentPort?.postMessage(reply);
});
