/**
 * `stream`: WebSocket fan-out at `ws://<api host>:PORT/ws` (protocol: types/stream.ts).
 *
 * Runs on the api node: it attaches to the HTTP server of the local `api`
 * service (`upgrade` requests for `/ws` only; any other path is left to other
 * upgrade listeners, or answered 404 when there is none) and refuses to start
 * without it. Select both on a node: `SERVICES=api,stream,…`.
 *
 * - Auth: the API key in `?key=` or a first message `{"type":"auth","key":…}`,
 *   verified with `users.authenticate`; no valid key within `authTimeoutMs` → close 4401.
 *   A key revoked later (`keys.revoked`) closes its connections with 4401.
 * - Topics and their payloads: types/stream.ts. Tenant-owned topics deliver only
 *   the subscriber's tenant's events.
 * - Every stream instance gets every event: each instance's handlers are in an
 *   event group of their own, so `emit` (balanced per group) reaches all api nodes.
 * - Slow consumers (more than `maxBufferedBytes` unsent) are closed with 1013 (./hub.ts);
 *   dead peers (no pong within a heartbeat) are terminated.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Context, Service, ServiceSchema, ServiceSettingSchema } from 'moleculer';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { Candle, TicksReceivedEvent } from '../../types/market';
import { STREAM_CLOSE, type StreamClientMessage, type StreamErrorCode, type StreamServerMessage } from '../../types/stream';
import type { AuthResult } from '../users/tenants';
import { HubClient, StreamHub } from './hub';
import { parseTopic, topicOf } from './topics';

export interface StreamSettings extends ServiceSettingSchema {
  /** URL path of the endpoint. */
  path: string;
  /** Unsent bytes per client above which it is dropped as a slow consumer. */
  maxBufferedBytes: number;
  /** Subscriptions per client. */
  maxTopics: number;
  /** Largest message a client may send, bytes. */
  maxMessageBytes: number;
  /** ms a connection may stay unauthenticated. */
  authTimeoutMs: number;
  /** ms between pings; a client that has not answered the previous one is terminated. */
  heartbeatMs: number;
  /** ms a closing client gets to finish the close handshake before its socket is destroyed. */
  closeGraceMs: number;
}

interface Conn extends HubClient {
  alive: boolean;
  /** Messages of one client are handled in order (auth before the subscribes that follow it). */
  queue: Promise<void>;
  authTimer: NodeJS.Timeout | null;
}

interface Vars {
  hub: StreamHub;
  wss: WebSocketServer;
  server: Server | null;
  onUpgrade: ((req: IncomingMessage, socket: Duplex, head: Buffer) => void) | null;
  heartbeat: NodeJS.Timeout | null;
  reported: { deliveries: number; slowDrops: number };
}

interface Methods {
  accept(ws: WebSocket, req: IncomingMessage): void;
  handle(c: Conn, raw: RawData, isBinary: boolean): Promise<void>;
  authenticate(c: Conn, key: unknown, id?: string | number): Promise<void>;
  fail(c: Conn, code: StreamErrorCode, message: string, extra?: { topic?: string; id?: string | number }): void;
  publishTenant(topic: string, data: unknown, tenantId: unknown): void;
  syncMetrics(): void;
}

type This = Service<StreamSettings> & Vars & Methods;

type EventPayload = Record<string, unknown> & { tenantId?: string | null };

function tenantFrom(ctx: Context<EventPayload, { tenantId?: string }>): string | null {
  const t = ctx.params?.tenantId ?? ctx.meta?.tenantId;
  return typeof t === 'string' && t.length > 0 ? t : null;
}

/** A fresh schema per node: its event group is unique, so every stream instance receives every event. */
export default function createStreamService(): ServiceSchema {
  const group = `stream-${randomBytes(6).toString('hex')}`;
  const on = <P>(handler: (this: This, ctx: Context<P, { tenantId?: string }>) => void) => ({ group, handler });
  // Market events arrive at tick rate and their fan-out is no step of any chain: no span for them.
  const onMarket = <P>(handler: (this: This, ctx: Context<P, { tenantId?: string }>) => void) => ({ group, handler, tracing: false });

  const schema: ServiceSchema<StreamSettings, Methods, Vars> = {
    name: 'stream',
    settings: {
      path: '/ws',
      maxBufferedBytes: 1 << 20,
      maxTopics: 256,
      maxMessageBytes: 16 * 1024,
      authTimeoutMs: 10_000,
      heartbeatMs: 30_000,
      closeGraceMs: 5_000,
    },

    actions: {
      /** Connections, subscriptions, deliveries and slow-consumer drops of this node. */
      stats: {
        visibility: 'public',
        params: {},
        handler(this: This) {
          return { node: this.broker.nodeID, path: this.settings.path, ...this.hub.stats() };
        },
      },
    },

    events: {
      'ticks.received': onMarket<TicksReceivedEvent>(function (ctx) {
        this.hub.publish(topicOf.ticks(ctx.params.symbol), ctx.params, false, null);
      }),
      'candle.closed': onMarket<Candle>(function (ctx) {
        this.hub.publish(topicOf.candles(ctx.params.symbol, ctx.params.tf), ctx.params, false, null);
      }),
      'decision.made': on<EventPayload & { symbol: string }>(function (ctx) {
        this.publishTenant(topicOf.decisions(ctx.params.symbol), ctx.params, tenantFrom(ctx));
      }),
      'order.*': on<EventPayload>(function (ctx) {
        this.publishTenant(topicOf.orders(), { event: ctx.eventName, ...ctx.params }, tenantFrom(ctx));
      }),
      'position.changed': on<EventPayload>(function (ctx) {
        this.publishTenant(topicOf.positions(), { event: ctx.eventName, ...ctx.params }, tenantFrom(ctx));
      }),
      'flowchain.updated': on<EventPayload & { chain: string }>(function (ctx) {
        // tenantId null is the operators' all-tenants view: no tenant subscriber gets it.
        this.publishTenant(topicOf.flowchain(ctx.params.chain), ctx.params, ctx.params.tenantId ?? null);
      }),
      'backtest.*': on<EventPayload & { id?: string }>(function (ctx) {
        if (typeof ctx.params.id !== 'string') return;
        this.publishTenant(topicOf.backtests(ctx.params.id), { event: ctx.eventName, ...ctx.params }, tenantFrom(ctx));
      }),
      'keys.revoked': on<{ keyId: string }>(function (ctx) {
        for (const c of this.hub.all()) {
          if (c.keyId === ctx.params.keyId) {
            this.fail(c as Conn, 'UNAUTHENTICATED', 'API key revoked');
            this.hub.close(c, STREAM_CLOSE.UNAUTHORIZED, 'API key revoked');
          }
        }
      }),
    },

    methods: {
      publishTenant(this: This, topic: string, data: unknown, tenantId: unknown) {
        this.hub.publish(topic, data, true, typeof tenantId === 'string' ? tenantId : null);
      },

      accept(this: This, ws: WebSocket, req: IncomingMessage) {
        const c = this.hub.add(ws) as Conn;
        c.alive = true;
        c.queue = Promise.resolve();
        c.authTimer = setTimeout(() => {
          if (c.tenantId !== null) return;
          this.fail(c, 'UNAUTHENTICATED', `no valid API key within ${this.settings.authTimeoutMs} ms`);
          this.hub.close(c, STREAM_CLOSE.UNAUTHORIZED, 'authentication timeout');
        }, this.settings.authTimeoutMs);
        c.authTimer.unref();
        ws.on('pong', () => {
          c.alive = true;
        });
        ws.on('message', (raw, isBinary) => {
          c.queue = c.queue.then(() => this.handle(c, raw, isBinary)).catch((e: unknown) => this.logger.error('stream: message handling failed', e));
        });
        ws.on('error', (e) => this.logger.debug(`stream: client ${c.id} socket error: ${e.message}`));
        ws.on('close', () => {
          if (c.authTimer) clearTimeout(c.authTimer);
          this.hub.remove(c);
        });
        const key = new URL(req.url ?? '/', 'http://x').searchParams.get('key');
        if (key !== null) c.queue = c.queue.then(() => this.authenticate(c, key)).catch((e: unknown) => this.logger.error('stream: auth failed', e));
      },

      async handle(this: This, c: Conn, raw: RawData, isBinary: boolean) {
        if (c.closing) return;
        let msg: StreamClientMessage;
        try {
          if (isBinary) throw new Error('binary');
          msg = JSON.parse(raw.toString()) as StreamClientMessage;
          if (typeof msg !== 'object' || msg === null || typeof msg.type !== 'string') throw new Error('shape');
        } catch {
          this.fail(c, 'BAD_MESSAGE', 'messages are JSON text objects with a "type" (auth, subscribe, unsubscribe, ping)');
          return;
        }
        const id = typeof msg.id === 'string' || typeof msg.id === 'number' ? msg.id : undefined;
        switch (msg.type) {
          case 'auth':
            if (c.tenantId !== null) return this.fail(c, 'BAD_MESSAGE', 'already authenticated', { id });
            return this.authenticate(c, msg.key, id);
          case 'ping':
            return this.hub.reply(c, { type: 'pong', time: Date.now(), id } satisfies StreamServerMessage);
          case 'subscribe':
          case 'unsubscribe': {
            if (c.tenantId === null) return this.fail(c, 'UNAUTHENTICATED', 'authenticate first: {"type":"auth","key":"…"} or ?key=', { id });
            const list = Array.isArray(msg.topics) ? msg.topics : [msg.topics];
            const done: string[] = [];
            for (const raw of list.slice(0, this.settings.maxTopics + 1)) {
              const t = parseTopic(raw);
              if ('error' in t) {
                this.fail(c, 'BAD_TOPIC', t.error, { topic: String(raw).slice(0, 120), id });
                continue;
              }
              if (msg.type === 'unsubscribe') this.hub.unsubscribe(c, t);
              else if (!this.hub.subscribe(c, t)) {
                this.fail(c, 'TOO_MANY_TOPICS', `at most ${this.settings.maxTopics} subscriptions per connection`, { topic: t.name, id });
                break;
              }
              done.push(t.name);
            }
            return this.hub.reply(c, { type: msg.type === 'subscribe' ? 'subscribed' : 'unsubscribed', topics: done, id } satisfies StreamServerMessage);
          }
          default:
            return this.fail(c, 'BAD_MESSAGE', `unknown message type "${String((msg as { type: string }).type).slice(0, 40)}"`, { id });
        }
      },

      async authenticate(this: This, c: Conn, key: unknown, id?: string | number) {
        if (c.closing) return;
        let auth: AuthResult | null = null;
        if (typeof key === 'string' && key.length > 0 && key.length <= 200) {
          try {
            auth = await this.broker.call<AuthResult | null, { key: string }>('users.authenticate', { key });
          } catch (e) {
            this.logger.warn(`stream: users.authenticate failed: ${(e as Error).message}`);
            this.fail(c, 'AUTH_UNAVAILABLE', 'authentication is unavailable; retry shortly', { id });
            this.hub.close(c, 1011, 'authentication unavailable');
            return;
          }
        }
        if (!auth) {
          this.fail(c, 'UNAUTHENTICATED', 'invalid API key', { id });
          this.hub.close(c, STREAM_CLOSE.UNAUTHORIZED, 'invalid API key');
          return;
        }
        if (c.closing) return;
        c.tenantId = auth.tenantId;
        c.tier = auth.tier;
        c.role = auth.role;
        c.keyId = auth.keyId;
        if (c.authTimer) clearTimeout(c.authTimer);
        c.authTimer = null;
        this.hub.reply(c, { type: 'ready', tenantId: auth.tenantId, tier: auth.tier, role: auth.role, id } satisfies StreamServerMessage);
      },

      fail(this: This, c: Conn, code: StreamErrorCode, message: string, extra: { topic?: string; id?: string | number } = {}) {
        this.hub.reply(c, { type: 'error', code, message, ...extra } satisfies StreamServerMessage);
      },

      syncMetrics(this: This) {
        const m = this.broker.metrics;
        if (!this.broker.isMetricsEnabled()) return;
        const s = this.hub.stats();
        m.set('plan2.stream.clients', s.clients);
        m.increment('plan2.stream.deliveries', undefined, s.deliveries - this.reported.deliveries);
        m.increment('plan2.stream.slow_drops', undefined, s.slowDrops - this.reported.slowDrops);
        this.reported = { deliveries: s.deliveries, slowDrops: s.slowDrops };
      },
    },

    created(this: This) {
      this.server = null;
      this.onUpgrade = null;
      this.heartbeat = null;
      this.reported = { deliveries: 0, slowDrops: 0 };
      this.hub = new StreamHub(
        { maxBufferedBytes: this.settings.maxBufferedBytes, maxTopics: this.settings.maxTopics, closeGraceMs: this.settings.closeGraceMs },
        (c, buffered) => this.logger.warn(`stream: dropping slow client ${c.id} (tenant ${c.tenantId ?? '-'}): ${buffered} bytes unsent`),
      );
      if (this.broker.isMetricsEnabled()) {
        this.broker.metrics.register({ type: 'gauge', name: 'plan2.stream.clients', description: 'Open /ws connections' });
        this.broker.metrics.register({ type: 'counter', name: 'plan2.stream.deliveries', description: 'Event messages sent to /ws clients' });
        this.broker.metrics.register({ type: 'counter', name: 'plan2.stream.slow_drops', description: '/ws clients dropped as slow consumers' });
      }
    },

    started(this: This) {
      const api = this.broker.getLocalService('api') as unknown as { server?: Server } | undefined;
      if (!api?.server) throw new Error('stream runs on the api node: this node must run the api service too (SERVICES=api,stream,…)');
      const server = api.server;
      this.server = server;
      this.wss = new WebSocketServer({ noServer: true, maxPayload: this.settings.maxMessageBytes, perMessageDeflate: false, clientTracking: false });
      this.onUpgrade = (req, socket, head) => {
        const path = (req.url ?? '').split('?')[0];
        if (path !== this.settings.path) {
          // Another upgrade listener (a future /mt5) owns other paths; with none, say so instead of hanging.
          if (server.listenerCount('upgrade') === 1) socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
          return;
        }
        this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, req));
      };
      server.on('upgrade', this.onUpgrade);
      this.heartbeat = setInterval(() => {
        for (const c of this.hub.all() as IterableIterator<Conn>) {
          if (!c.alive) {
            c.socket.terminate();
            continue;
          }
          c.alive = false;
          if (c.socket.readyState === c.socket.OPEN) c.socket.ping();
        }
        this.syncMetrics();
      }, this.settings.heartbeatMs);
      this.heartbeat.unref();
    },

    async stopped(this: This) {
      if (this.heartbeat) clearInterval(this.heartbeat);
      if (this.server && this.onUpgrade) this.server.off('upgrade', this.onUpgrade);
      const open = [...this.hub.all()];
      await Promise.all(
        open.map(
          (c) =>
            new Promise<void>((resolve) => {
              if (c.socket.readyState === c.socket.CLOSED) return resolve();
              const t = setTimeout(() => {
                c.socket.terminate();
                resolve();
              }, Math.min(1000, this.settings.closeGraceMs));
              c.socket.once('close', () => {
                clearTimeout(t);
                resolve();
              });
              this.hub.close(c, STREAM_CLOSE.GOING_AWAY, 'server shutting down');
            }),
        ),
      );
      this.wss?.close();
    },
  };
  return schema as unknown as ServiceSchema;
}
