/**
 * Builds the broker and loads the services this node runs.
 *
 * Services are discovered from `services/<name>/<name>.service`, `agents/<group>/<id>/<id>.service`,
 * `mt5-gateway/gateway.service` and `flowchain/flowchain.service`. Each gets a key
 * (`api`, `market-data`, `agents/research/market-analysis`, `mt5-gateway`, `flowchain`)
 * that `SERVICES=` globs select: `*` matches within a path segment, `**` across
 * segments, and a pattern also selects everything under it (`agents` = `agents/**`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ServiceBroker, ServiceSchema, BrokerOptions } from 'moleculer';
import type { Config } from './config';
import { brokerOptions } from './moleculer.config';
import { CODE_EXT, CODE_ROOT } from './paths';
import { ErrorsMiddleware } from './middlewares/errors.middleware';
import { useLightSpans } from './flowchain/light-span';
import { AGENT_HOST, agentHostSchema } from './mixins/agent-host';
import { agentDescriptorOf } from './mixins/agent.mixin';
import type { AgentEventType } from './lib/agents/agent';
import { closeDb, getMigratedDb } from './lib/storage/connect';
import { UnavailableError } from './lib/errors';

export type ServiceExport = ServiceSchema | ServiceSchema[] | ((cfg: Config) => ServiceSchema | ServiceSchema[]);

export interface ServiceEntry {
  key: string;
  file: string;
}

function walk(dir: string, out: string[]): void {
  if (!fs.existsSync(dir)) return;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.name.endsWith('.service' + CODE_EXT)) out.push(p);
  }
}

/** Every service file of the project with its selection key. */
export function discoverServices(root = CODE_ROOT): ServiceEntry[] {
  const files: string[] = [];
  for (const d of ['services', 'agents', 'mt5-gateway', 'flowchain']) walk(path.join(root, d), files);
  return files
    .map((file) => {
      const rel = path.relative(root, path.dirname(file)).split(path.sep).join('/');
      const key = rel.startsWith('services/') ? rel.slice('services/'.length) : rel;
      return { key, file };
    })
    .sort((a, b) => a.key.localeCompare(b.key));
}

function globToRegExp(glob: string): RegExp {
  const g = glob.replace(/\/+$/, '');
  let re = '';
  for (let i = 0; i < g.length; i++) {
    const ch = g[i];
    if (ch === '*' && g[i + 1] === '*') {
      re += '.*';
      i++;
    } else if (ch === '*') re += '[^/]*';
    else re += ch.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}(/.*)?$`);
}

/** True when `key` is selected by any pattern (an empty list selects all). */
export function selectService(key: string, patterns: string[]): boolean {
  if (patterns.length === 0) return true;
  return patterns.some((p) => globToRegExp(p).test(key));
}

export function createBroker(cfg: Config, overrides: Partial<BrokerOptions> = {}): ServiceBroker {
  const opts = brokerOptions(cfg, overrides);
  opts.middlewares = [ErrorsMiddleware, ...(opts.middlewares ?? [])];
  const broker = new ServiceBroker(opts);
  useLightSpans(broker);
  return broker;
}

/** Load the selected services into `broker`; returns their keys. */
export function loadServices(broker: ServiceBroker, cfg: Config, entries = discoverServices()): string[] {
  const keys: string[] = [];
  const schemas: ServiceSchema[] = [];
  for (const e of entries) {
    if (!selectService(e.key, cfg.services)) continue;
    // A service module default-exports a schema, a list of schemas, or a factory `(cfg) => schema(s)`.
    const mod = require(e.file) as { default?: ServiceExport };
    const exp = typeof mod.default === 'function' ? mod.default(cfg) : mod.default;
    schemas.push(...(exp === undefined ? [] : Array.isArray(exp) ? exp : [exp]));
    keys.push(e.key);
  }
  if (keys.length === 0) throw new Error(`SERVICES=${cfg.services.join(',')} selects no service; known: ${entries.map((e) => e.key).join(', ')}`);
  // A node running agents answers for all of them in one message, and receives their events
  // once for all of them (mixins/agent-host.ts): created first, so the agents register with it.
  const feeds = new Set<AgentEventType>();
  for (const s of schemas) for (const t of agentDescriptorOf(s)?.events ?? []) feeds.add(t);
  if (keys.some((k) => k.startsWith('agents/')) && !broker.getLocalService(AGENT_HOST)) broker.createService(agentHostSchema([...feeds].sort()));
  for (const s of schemas) broker.createService(s);
  return keys;
}

export interface Platform {
  broker: ServiceBroker;
  services: string[];
  stop(): Promise<void>;
}

/**
 * Fail fast when NATS does not answer: Moleculer's transporter would retry the
 * first connection forever, and a node that hangs at start helps nobody.
 * Later outages are handled by reconnecting (moleculer.config.ts).
 */
export async function assertTransporterReachable(url: string, timeoutMs = 4000): Promise<void> {
  const { connect } = await import('nats');
  try {
    const nc = await connect({ servers: url, timeout: timeoutMs, reconnect: false, maxReconnectAttempts: 0, name: 'plan2-probe' });
    await nc.close();
  } catch (e) {
    throw new UnavailableError('transporter', `NATS at ${url.replace(/\/\/[^@]*@/, '//')} did not accept a connection within ${timeoutMs} ms (${(e as Error).message})`, e);
  }
}

/** Create the broker, load the node's services, start. */
export async function startPlatform(cfg: Config, overrides: Partial<BrokerOptions> = {}): Promise<Platform> {
  if (cfg.transporter && overrides.transporter === undefined) await assertTransporterReachable(cfg.transporter);
  // Open (and migrate) the database while the service modules load: PGlite's WASM
  // compiles off the main thread, so this overlaps instead of adding to start-up.
  // Only where this node certainly needs it; the db mixin awaits the same promise.
  if (cfg.services.length === 0 || selectService('storage', cfg.services)) getMigratedDb(cfg).catch(() => undefined);
  const broker = createBroker(cfg, overrides);
  const services = loadServices(broker, cfg);
  try {
    await broker.start();
  } catch (e) {
    // A half-started node releases what it opened before the error is reported.
    await broker.stop().catch(() => undefined);
    await closeDb();
    throw e;
  }
  return {
    broker,
    services,
    async stop() {
      await broker.stop();
      await closeDb();
    },
  };
}
