/**
 * Subscriptions and fan-out of the `/ws` stream.
 *
 * An event is serialised once per publish (one Buffer sent as a text frame to
 * every subscriber; server frames are not masked, so the bytes are shared).
 * Tenant-owned topics are indexed by tenant, so a publish reaches only the
 * tenant's subscribers without scanning the others.
 *
 * A client whose socket holds more than `maxBufferedBytes` unsent bytes is a
 * slow consumer: it is unsubscribed from everything, sent a close frame with
 * 1013, and its socket destroyed after `closeGraceMs` if it does not finish the
 * closing handshake. Memory per client is thus bounded by the limit plus one message.
 */
import type { WebSocket } from 'ws';
import { STREAM_CLOSE } from '../../types/stream';
import type { Topic } from './topics';

export interface HubClient {
  readonly id: number;
  readonly socket: WebSocket;
  tenantId: string | null;
  tier: string | null;
  role: string | null;
  keyId: string | null;
  /** Subscription keys (see `keyOf`). */
  readonly keys: Set<string>;
  /** Set once the client is being closed; nothing more is sent. */
  closing: boolean;
}

export interface HubOptions {
  /** Unsent bytes above which a client is dropped. */
  maxBufferedBytes: number;
  /** Subscriptions one client may hold. */
  maxTopics: number;
  /** ms between the 1013 close frame and destroying a socket that did not close. */
  closeGraceMs: number;
}

export interface HubStats {
  clients: number;
  authenticated: number;
  subscriptions: number;
  /** Events published that had at least one subscriber. */
  events: number;
  /** Messages handed to sockets. */
  deliveries: number;
  /** Clients dropped as slow consumers. */
  slowDrops: number;
}

const SEP = '\u0000';

export class StreamHub {
  private readonly subs = new Map<string, Set<HubClient>>();
  private readonly clients = new Set<HubClient>();
  private nextId = 1;
  private events = 0;
  private deliveries = 0;
  private slowDrops = 0;

  constructor(
    readonly opts: HubOptions,
    private readonly onSlowDrop: (c: HubClient, bufferedBytes: number) => void = () => undefined,
  ) {}

  add(socket: WebSocket): HubClient {
    const c: HubClient = { id: this.nextId++, socket, tenantId: null, tier: null, role: null, keyId: null, keys: new Set(), closing: false };
    this.clients.add(c);
    return c;
  }

  /** Forget a client and all its subscriptions (on close). */
  remove(c: HubClient): void {
    this.unsubscribeAll(c);
    this.clients.delete(c);
  }

  all(): IterableIterator<HubClient> {
    return this.clients.values();
  }

  /** Subscription key: the topic, prefixed by the tenant for tenant-owned topics. */
  private keyOf(c: HubClient, t: Topic): string {
    return t.tenantOwned ? `${c.tenantId}${SEP}${t.name}` : t.name;
  }

  /** False when the client already holds `maxTopics` other subscriptions. Idempotent. */
  subscribe(c: HubClient, t: Topic): boolean {
    if (c.tenantId === null) throw new Error('subscribe before authentication');
    const k = this.keyOf(c, t);
    if (c.keys.has(k)) return true;
    if (c.keys.size >= this.opts.maxTopics) return false;
    c.keys.add(k);
    let set = this.subs.get(k);
    if (!set) this.subs.set(k, (set = new Set()));
    set.add(c);
    return true;
  }

  unsubscribe(c: HubClient, t: Topic): void {
    const k = this.keyOf(c, t);
    if (!c.keys.delete(k)) return;
    const set = this.subs.get(k);
    set?.delete(c);
    if (set && set.size === 0) this.subs.delete(k);
  }

  unsubscribeAll(c: HubClient): void {
    for (const k of c.keys) {
      const set = this.subs.get(k);
      set?.delete(c);
      if (set && set.size === 0) this.subs.delete(k);
    }
    c.keys.clear();
  }

  /** Subscribers a publish of `topic` (for `tenantId`, on tenant-owned topics) would reach. */
  subscribers(topic: string, tenantId: string | null, tenantOwned: boolean): number {
    return this.subs.get(tenantOwned ? `${tenantId}${SEP}${topic}` : topic)?.size ?? 0;
  }

  /**
   * Send `{type:'event', topic, data}` to the topic's subscribers. On a
   * tenant-owned topic only `tenantId`'s subscribers get it (none when the
   * event names no tenant). Returns the number of deliveries.
   */
  publish(topic: string, data: unknown, tenantOwned: boolean, tenantId: string | null | undefined): number {
    if (tenantOwned && !tenantId) return 0;
    const set = this.subs.get(tenantOwned ? `${tenantId}${SEP}${topic}` : topic);
    if (!set || set.size === 0) return 0;
    const frame = Buffer.from(`{"type":"event","topic":${JSON.stringify(topic)},"data":${JSON.stringify(data) ?? 'null'}}`);
    const max = this.opts.maxBufferedBytes;
    let n = 0;
    let slow: HubClient[] | null = null;
    for (const c of set) {
      const buffered = c.socket.bufferedAmount;
      if (buffered > max) {
        (slow ??= []).push(c);
        continue;
      }
      c.socket.send(frame, { binary: false });
      n++;
    }
    if (slow) for (const c of slow) this.dropSlow(c, c.socket.bufferedAmount);
    this.events++;
    this.deliveries += n;
    return n;
  }

  /** Send a protocol reply to one client (dropped quietly once the client is closing). */
  reply(c: HubClient, msg: unknown): void {
    if (c.closing || c.socket.readyState !== c.socket.OPEN) return;
    c.socket.send(JSON.stringify(msg));
  }

  /** Close a client with `code`, destroying the socket if it has not closed after the grace period. */
  close(c: HubClient, code: number, reason: string): void {
    if (c.closing) return;
    c.closing = true;
    this.unsubscribeAll(c);
    const s = c.socket;
    if (s.readyState === s.OPEN || s.readyState === s.CONNECTING) s.close(code, reason.slice(0, 120));
    const t = setTimeout(() => s.terminate(), this.opts.closeGraceMs);
    t.unref();
    s.once('close', () => clearTimeout(t));
  }

  private dropSlow(c: HubClient, buffered: number): void {
    if (c.closing) return;
    this.slowDrops++;
    this.onSlowDrop(c, buffered);
    this.close(c, STREAM_CLOSE.TRY_AGAIN_LATER, `slow consumer: ${buffered} bytes unsent (limit ${this.opts.maxBufferedBytes})`);
  }

  stats(): HubStats {
    let authenticated = 0;
    for (const c of this.clients) if (c.tenantId !== null) authenticated++;
    let subscriptions = 0;
    for (const s of this.subs.values()) subscriptions += s.size;
    return { clients: this.clients.size, authenticated, subscriptions, events: this.events, deliveries: this.deliveries, slowDrops: this.slowDrops };
  }
}
