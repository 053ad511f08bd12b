/** A `/ws` test client: records every message and waits for the ones a test expects. */
import { WebSocket } from 'ws';
import type { StreamServerMessage } from '../../types/stream';

export class StreamClient {
  readonly messages: StreamServerMessage[] = [];
  closed: { code: number; reason: string } | null = null;
  private seq = 0;
  private waiters: { pred: (m: StreamServerMessage) => boolean; resolve: (m: StreamServerMessage) => void }[] = [];
  private closeWaiters: ((c: { code: number; reason: string }) => void)[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString()) as StreamServerMessage;
      this.messages.push(m);
      this.waiters = this.waiters.filter((w) => {
        if (!w.pred(m)) return true;
        w.resolve(m);
        return false;
      });
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      for (const w of this.closeWaiters) w(this.closed);
      this.closeWaiters = [];
    });
    ws.on('error', () => undefined);
  }

  /** Open a connection to `url` (resolves once open). */
  static open(url: string): Promise<StreamClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      const c = new StreamClient(ws);
      ws.once('open', () => resolve(c));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      ws.once('error', reject);
    });
  }

  send(msg: unknown): void {
    this.ws.send(JSON.stringify(msg));
  }

  /** The first message (already received or future) matching `pred`. */
  next(pred: (m: StreamServerMessage) => boolean, timeoutMs = 5000): Promise<StreamServerMessage> {
    const seen = this.messages.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no matching message within ${timeoutMs} ms; got ${JSON.stringify(this.messages.slice(-5))}`)), timeoutMs);
      this.waiters.push({
        pred,
        resolve: (m) => {
          clearTimeout(t);
          resolve(m);
        },
      });
    });
  }

  /** Authenticate with the first-message form and wait for `ready` (or the error). */
  async auth(key: string): Promise<StreamServerMessage> {
    this.send({ type: 'auth', key, id: 'auth' });
    return this.next((m) => m.type === 'ready' || (m.type === 'error' && m.id === 'auth'));
  }

  async subscribe(...topics: string[]): Promise<StreamServerMessage> {
    const id = `s${++this.seq}`;
    this.send({ type: 'subscribe', topics, id });
    return this.next((m) => m.type === 'subscribed' && m.id === id);
  }

  async unsubscribe(...topics: string[]): Promise<StreamServerMessage> {
    const id = `u${++this.seq}`;
    this.send({ type: 'unsubscribe', topics, id });
    return this.next((m) => m.type === 'unsubscribed' && m.id === id);
  }

  /** Event payloads received on `topic`, in order. */
  events<T = unknown>(topic: string): T[] {
    return this.messages.filter((m): m is Extract<StreamServerMessage, { type: 'event' }> => m.type === 'event' && m.topic === topic).map((m) => m.data as T);
  }

  waitClose(timeoutMs = 5000): Promise<{ code: number; reason: string }> {
    if (this.closed) return Promise.resolve(this.closed);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`not closed within ${timeoutMs} ms`)), timeoutMs);
      this.closeWaiters.push((c) => {
        clearTimeout(t);
        resolve(c);
      });
    });
  }

  close(): void {
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) this.ws.terminate();
  }
}
