/**
 * The dashboard's `/ws` connection: authenticates with the first message (the key
 * never appears in a URL), keeps the set of topics the open pages want, and
 * re-subscribes after a reconnect (exponential backoff up to 10 s). A 4401 close
 * (key refused or revoked) is final: the app signs out.
 */
import type { StreamServerMessage } from '../../types/stream';

export type StreamState = 'connecting' | 'open' | 'closed' | 'unauthorized';
type Handler = (data: unknown, topic: string) => void;

export class Stream {
  private ws: WebSocket | null = null;
  private readonly handlers = new Map<string, Set<Handler>>();
  private ready = false;
  private backoffMs = 500;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;
  state: StreamState = 'connecting';

  constructor(
    private readonly key: string,
    private readonly onState: (s: StreamState) => void,
    private readonly url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`,
  ) {}

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.ws?.close(1000, 'bye');
    this.ws = null;
  }

  /** Listen to `topic`; returns the function that stops listening (and unsubscribes when nobody else listens). */
  on(topic: string, fn: Handler): () => void {
    let set = this.handlers.get(topic);
    if (!set) {
      this.handlers.set(topic, (set = new Set()));
      if (this.ready) this.send({ type: 'subscribe', topics: [topic] });
    }
    set.add(fn);
    return () => {
      const s = this.handlers.get(topic);
      if (!s) return;
      s.delete(fn);
      if (s.size === 0) {
        this.handlers.delete(topic);
        if (this.ready) this.send({ type: 'unsubscribe', topics: [topic] });
      }
    };
  }

  private send(m: unknown): void {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(m));
  }

  private setState(s: StreamState): void {
    this.state = s;
    this.onState(s);
  }

  private connect(): void {
    this.setState('connecting');
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.onopen = () => ws.send(JSON.stringify({ type: 'auth', key: this.key }));
    ws.onmessage = (ev) => {
      let m: StreamServerMessage;
      try {
        m = JSON.parse(String(ev.data)) as StreamServerMessage;
      } catch {
        return;
      }
      if (m.type === 'event') {
        const set = this.handlers.get(m.topic);
        if (set) for (const fn of set) fn(m.data, m.topic);
      } else if (m.type === 'ready') {
        this.ready = true;
        this.backoffMs = 500;
        this.setState('open');
        if (this.handlers.size > 0) this.send({ type: 'subscribe', topics: [...this.handlers.keys()] });
      }
    };
    ws.onclose = (ev) => {
      this.ready = false;
      if (this.ws !== ws) return;
      this.ws = null;
      if (ev.code === 4401) return this.setState('unauthorized');
      this.setState('closed');
      if (this.stopped) return;
      this.timer = setTimeout(() => this.connect(), this.backoffMs);
      this.backoffMs = Math.min(this.backoffMs * 2, 10_000);
    };
  }
}
