/**
 * A test client that speaks PROTOCOL.md from raw socket writes: plain `net`,
 * `JSON.stringify` and its own line splitting. It deliberately imports nothing
 * from mt5-gateway/, so passing tests prove the spec is enough to interoperate.
 */
import * as net from 'node:net';
import WebSocket from 'ws';

export type Msg = Record<string, any>;

export class RawClient {
  readonly received: Msg[] = [];
  closed = false;
  /** Answer gateway pings with pongs (as the spec requires). */
  autoPong = true;
  private buf = '';
  private waiters: { pred: (m: Msg) => boolean; resolve: (m: Msg) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }[] = [];
  private closeWaiters: (() => void)[] = [];
  private seq = 0;

  private constructor(private readonly io: { write(s: string): boolean | void; end(): void; destroy(): void; raw?: net.Socket }) {}

  /** Connect over TCP. */
  static tcp(port: number, host = '127.0.0.1'): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const sock = net.connect(port, host);
      const c = new RawClient({ write: (s) => sock.write(s), end: () => sock.end(), destroy: () => sock.destroy(), raw: sock });
      sock.setEncoding('utf8');
      sock.on('data', (d: string) => c.onData(d));
      sock.on('close', () => c.onClose());
      sock.on('error', () => undefined);
      sock.once('connect', () => resolve(c));
      sock.once('error', reject);
    });
  }

  /** Connect over WebSocket (`ws://host:port/path`). */
  static ws(port: number, path = '/mt5', host = '127.0.0.1'): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://${host}:${port}${path}`);
      const c = new RawClient({ write: (s) => ws.send(s), end: () => ws.close(), destroy: () => ws.terminate() });
      ws.on('message', (d) => c.onData(String(d) + '\n'));
      ws.on('close', () => c.onClose());
      ws.on('error', (e) => reject(e));
      ws.once('open', () => resolve(c));
    });
  }

  get socket(): net.Socket | undefined {
    return this.io.raw;
  }

  private onData(d: string): void {
    this.buf += d;
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) !== -1) {
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      if (!line.trim()) continue;
      const m = JSON.parse(line) as Msg;
      this.received.push(m);
      if (m.type === 'ping' && this.autoPong) this.send({ type: 'pong', id: m.id, time: Date.now() });
      for (const w of [...this.waiters]) {
        if (w.pred(m)) {
          clearTimeout(w.timer);
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(m);
        }
      }
    }
  }

  private onClose(): void {
    this.closed = true;
    for (const w of this.closeWaiters) w();
    for (const w of this.waiters) {
      clearTimeout(w.timer);
      w.reject(new Error(`connection closed while waiting; received: ${JSON.stringify(this.received.slice(-3))}`));
    }
    this.waiters = [];
  }

  /** Write a message (object → one JSON line) or raw text as is. */
  send(m: Msg | string): void {
    this.io.write(typeof m === 'string' ? m : JSON.stringify(m) + '\n');
  }

  hello(token: string, extra: Msg = {}): void {
    this.send({ type: 'hello', protocol: 1, token, login: '51234567', server: 'Test-Demo', server_offset_sec: 10800, ea: 'raw-test', version: '0', build: 1, margin_mode: 'hedging', trade_mode: 'demo', trade_allowed: true, connected: true, ...extra });
  }

  /** A tick with the next seq; `time_msc` is server clock. */
  tick(symbol: string, time_msc: number, bid: number, ask: number): number {
    this.seq++;
    this.send({ type: 'tick', seq: this.seq, symbol, time_msc, bid, ask });
    return this.seq;
  }

  /** Wait for the first message (already received or future) matching `pred`. */
  next(pred: (m: Msg) => boolean, timeoutMs = 5000, fromIndex = 0): Promise<Msg> {
    const seen = this.received.slice(fromIndex).find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.timer !== timer);
        reject(new Error(`timed out waiting; last received: ${JSON.stringify(this.received.slice(-3))}`));
      }, timeoutMs);
      this.waiters.push({ pred, resolve, reject, timer });
    });
  }

  type(type: string, timeoutMs = 5000): Promise<Msg> {
    return this.next((m) => m.type === type, timeoutMs);
  }

  waitClosed(timeoutMs = 5000): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('not closed')), timeoutMs);
      this.closeWaiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  end(): void {
    this.io.end();
  }

  destroy(): void {
    this.io.destroy();
  }
}
