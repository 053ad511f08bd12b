/**
 * Child process of the dashboard benchmark: N WebSocket clients of one server,
 * each counting the event messages it receives. Driven over IPC:
 *   parent → {cmd:'open', url, n, key?, topic?}  → {ok:'open', ms}   (all connected, authenticated and subscribed)
 *   parent → {cmd:'expect', count}               → {ok:'done', ms}   (every client has `count` events; ms since the command)
 *   parent → {cmd:'close'}                       → exits
 * With `key`, clients speak the /ws protocol (auth, subscribe `topic`); without, they only count.
 */
import { WebSocket } from 'ws';

type Cmd = { cmd: 'open'; url: string; n: number; key?: string; topic?: string } | { cmd: 'expect'; count: number } | { cmd: 'close' };

const sockets: WebSocket[] = [];
let counts = new Uint32Array(0);
let target = Infinity;
let reached = 0;
let t0 = 0;

const send = (m: unknown) => process.send?.(m);

function onEvent(i: number): void {
  if (++counts[i] === target) {
    reached++;
    if (reached === counts.length) send({ ok: 'done', ms: performance.now() - t0 });
  }
}

async function open(url: string, n: number, key?: string, topic?: string): Promise<void> {
  const started = performance.now();
  counts = new Uint32Array(n);
  const one = (i: number) =>
    new Promise<void>((resolve, reject) => {
      // Counting only: no UTF-8 validation, so the clients' side costs as little as it can.
      const ws = new WebSocket(url, { perMessageDeflate: false, skipUTF8Validation: true });
      sockets.push(ws);
      let ready = !key;
      ws.on('error', reject);
      ws.on('open', () => {
        if (key) ws.send(JSON.stringify({ type: 'auth', key }));
        else resolve();
      });
      ws.on('message', (data) => {
        if (ready) {
          onEvent(i);
          return;
        }
        const m = JSON.parse(data.toString()) as { type: string };
        if (m.type === 'ready') ws.send(JSON.stringify({ type: 'subscribe', topics: [topic] }));
        else if (m.type === 'subscribed') {
          ready = true;
          resolve();
        } else if (m.type === 'error') reject(new Error(data.toString()));
      });
    });
  // Connect in waves so the accept queue is never the bottleneck.
  for (let i = 0; i < n; i += 100) await Promise.all(Array.from({ length: Math.min(100, n - i) }, (_, k) => one(i + k)));
  send({ ok: 'open', ms: performance.now() - started });
}

process.on('message', (m: Cmd) => {
  if (m.cmd === 'open') {
    open(m.url, m.n, m.key, m.topic).catch((e: unknown) => send({ error: (e as Error).message }));
  } else if (m.cmd === 'expect') {
    t0 = performance.now();
    target = m.count;
    reached = 0;
    for (const c of counts) if (c >= target) reached++;
    if (reached === counts.length) send({ ok: 'done', ms: 0 });
  } else if (m.cmd === 'close') {
    for (const s of sockets) s.terminate();
    process.exit(0);
  }
});
