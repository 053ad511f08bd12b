/**
 * Worker thread for `bench/ingest.bench.ts`: N replay clients (the real replay
 * feed, real TCP) looping the Lean EURUSD day as fast as the wire allows, each
 * as its own MT5 account and symbol. Runs off the gateway's thread so the
 * clients do not share its event loop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ReplayStats, startReplay } from '../mt5-gateway/replay';

interface Params {
  file: string;
  clients: number;
  port: number;
  token: string;
  prefix: string;
  /** Replay speed per client (0 = as fast as the wire allows). */
  speed: number;
}

const p = workerData as Params;
const ctl = new AbortController();
const handles = Array.from({ length: p.clients }, (_, i) =>
  startReplay({ file: p.file, symbol: `${p.prefix}${i + 1}`, speed: p.speed, loop: true, port: p.port, token: p.token, login: String(900_000 + i), server: 'Bench', signal: ctl.signal, reconnect: false, chunkTicks: 1024 }),
);
const timer = setInterval(() => parentPort?.postMessage({ kind: 'progress', sent: handles.reduce((a, h) => a + h.stats().sent, 0) }), 500);
parentPort?.on('message', (m: string) => {
  if (m !== 'stop') return;
  clearInterval(timer);
  ctl.abort();
  Promise.all(handles.map((h) => h.done)).then(
    (stats: ReplayStats[]) => parentPort?.postMessage({ kind: 'done', stats }),
    (e: unknown) => parentPort?.postMessage({ kind: 'error', message: String(e) }),
  );
});
