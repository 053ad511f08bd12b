/**
 * The one typed reader of the environment. Nothing else in Plan2 reads `process.env`.
 *
 * Every variable has a default that runs the platform on embedded parts (local
 * transporter, PGlite, in-memory cache, replay feed). A bad value is a
 * `ConfigError` naming the variable and what it expects; entry points print it
 * and exit with code 2 before anything starts.
 */
import * as path from 'node:path';
import { parseSymbolMap } from './mt5-gateway/symbols';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

export interface Config {
  /** `nats://host:port` or null for the in-process local transporter. */
  transporter: string | null;
  /** `postgres://…` or null for embedded PGlite in `dataDir/db`. */
  databaseUrl: string | null;
  /** `redis://…` or null for the in-memory cache and counters. */
  redisUrl: string | null;
  /** Key prefix for everything Plan2 writes to Redis (tests use one per run). */
  redisPrefix: string;
  clickhouseUrl: string | null;
  /** Glob patterns choosing the services this node runs; empty = all. */
  services: string[];
  nodeId: string | null;
  /** Moleculer namespace (NAMESPACE, default plan2): nodes talk only within one; tests use one per run. */
  namespace: string;
  /** HTTP port of the `api` service. */
  port: number;
  /** Host the HTTP and MT5 servers bind to. */
  host: string;
  /** TCP port of the MT5 gateway. */
  mt5Port: number;
  /** Explicit broker → canonical symbol names (`MT5_SYMBOL_MAP="GOLD=XAUUSD,Server/US30.cash=US30"`). */
  mt5SymbolMap: Record<string, string>;
  logLevel: LogLevel;
  /** Pretty (human) logs instead of JSON lines. */
  logPretty: boolean;
  dataDir: string;
  /** Replay feed on start: null = auto (on when no TRANSPORTER), else forced. */
  replay: boolean | null;
  replayFile: string | null;
  /** Replay speed multiplier (1 = real time). */
  replaySpeed: number;
  /** How far (ms) a tick may run behind its symbol's newest tick before market-data drops it (equal times are fine). */
  tickToleranceMs: number;
  /** Tracing sample rate for tick spans (decisions and orders are always traced). */
  tickTraceRate: number;
  /** FlowChain executions and step statistics older than this many days are deleted. */
  flowchainRetentionDays: number;
  /** Request timeout (ms) for broker calls. */
  requestTimeoutMs: number;
  /** Consensus deadline (ms) for agents' opinions. */
  consensusDeadlineMs: number;
  openaiApiKey: string | null;
  openaiBaseUrl: string;
  deepseekApiKey: string | null;
  deepseekBaseUrl: string;
  googleApiKey: string | null;
  googleBaseUrl: string;
  telegramBotToken: string | null;
  telegramApiRoot: string;
  midtransServerKey: string | null;
  midtransBaseUrl: string;
  /** RSS/Atom feeds the `news` service polls (NEWS_FEEDS, comma-separated URLs); empty = no polling. */
  newsFeeds: string[];
  /** Seconds between feed polls (NEWS_POLL_SEC). */
  newsPollSec: number;
  weaviateUrl: string | null;
  arangoUrl: string | null;
  /** True while running under a test runner (quieter logs, no banners). */
  isTest: boolean;
}

export class ConfigError extends Error {
  constructor(public readonly variable: string, expected: string, got: string) {
    super(`${variable}=${JSON.stringify(got)} is invalid: expected ${expected}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function str(env: Env, name: string): string | null {
  const v = env[name];
  return v === undefined || v.trim() === '' ? null : v.trim();
}

function url(env: Env, name: string, schemes: string[]): string | null {
  const v = str(env, name);
  if (v === null) return null;
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new ConfigError(name, `a URL (${schemes.map((s) => s + '//…').join(' or ')})`, v);
  }
  if (!schemes.includes(u.protocol)) throw new ConfigError(name, `a URL with scheme ${schemes.join(' or ')}`, v);
  return v;
}

function int(env: Env, name: string, dflt: number, min: number, max: number): number {
  const v = str(env, name);
  if (v === null) return dflt;
  const n = Number(v);
  if (!/^-?\d+$/.test(v) || n < min || n > max) throw new ConfigError(name, `an integer in [${min}, ${max}]`, v);
  return n;
}

function num(env: Env, name: string, dflt: number, min: number, max: number): number {
  const v = str(env, name);
  if (v === null) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max) throw new ConfigError(name, `a number in [${min}, ${max}]`, v);
  return n;
}

function symbolMap(env: Env, name: string): Record<string, string> {
  const v = str(env, name);
  try {
    return parseSymbolMap(v);
  } catch {
    throw new ConfigError(name, 'comma-separated broker=CANONICAL pairs (a broker name may be prefixed by "server/")', v ?? '');
  }
}

function bool(env: Env, name: string): boolean | null {
  const v = str(env, name);
  if (v === null) return null;
  if (/^(1|true|yes|on)$/i.test(v)) return true;
  if (/^(0|false|no|off)$/i.test(v)) return false;
  throw new ConfigError(name, 'one of true/false/1/0/yes/no/on/off', v);
}

function namespace(env: Env): string {
  const v = str(env, 'NAMESPACE') ?? 'plan2';
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(v)) throw new ConfigError('NAMESPACE', 'up to 64 characters of [A-Za-z0-9_.-]', v);
  return v;
}

const LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'];

/** Parse an environment (default: this process's) into a validated Config. Throws ConfigError. */
export function loadConfig(env: Env = process.env): Config {
  const logLevel = (str(env, 'LOG_LEVEL') ?? 'info').toLowerCase();
  if (!LEVELS.includes(logLevel as LogLevel)) throw new ConfigError('LOG_LEVEL', LEVELS.join('|'), logLevel);
  const services = (str(env, 'SERVICES') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const s of services) {
    if (!/^[a-z0-9*/_.-]+$/i.test(s)) throw new ConfigError('SERVICES', 'comma-separated service globs such as api,agents/*', s);
  }
  const nodeId = str(env, 'NODE_ID');
  if (nodeId !== null && !/^[A-Za-z0-9_.:-]{1,64}$/.test(nodeId)) throw new ConfigError('NODE_ID', 'up to 64 characters of [A-Za-z0-9_.:-]', nodeId);
  const newsFeeds = (str(env, 'NEWS_FEEDS') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const f of newsFeeds) {
    let u: URL | null = null;
    try {
      u = new URL(f);
    } catch {
      /* reported below */
    }
    if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:')) throw new ConfigError('NEWS_FEEDS', 'comma-separated http(s) feed URLs', f);
  }
  const isTest = env.JEST_WORKER_ID !== undefined || env.NODE_ENV === 'test';
  return {
    transporter: url(env, 'TRANSPORTER', ['nats:', 'tls:']),
    databaseUrl: url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']),
    redisUrl: url(env, 'REDIS_URL', ['redis:', 'rediss:']),
    redisPrefix: str(env, 'REDIS_PREFIX') ?? 'plan2:',
    clickhouseUrl: url(env, 'CLICKHOUSE_URL', ['http:', 'https:']),
    services,
    nodeId,
    namespace: namespace(env),
    port: int(env, 'PORT', 8000, 0, 65535),
    host: str(env, 'HOST') ?? '0.0.0.0',
    mt5Port: int(env, 'MT5_PORT', 8001, 0, 65535),
    mt5SymbolMap: symbolMap(env, 'MT5_SYMBOL_MAP'),
    logLevel: logLevel as LogLevel,
    logPretty: bool(env, 'LOG_PRETTY') ?? false,
    dataDir: path.resolve(str(env, 'DATA_DIR') ?? '.plan2'),
    replay: bool(env, 'REPLAY'),
    replayFile: str(env, 'REPLAY_FILE'),
    replaySpeed: num(env, 'REPLAY_SPEED', 60, 0, 1e9),
    tickToleranceMs: int(env, 'TICK_TOLERANCE_MS', 1000, 0, 3_600_000),
    tickTraceRate: num(env, 'TICK_TRACE_RATE', 0.01, 0, 1),
    flowchainRetentionDays: int(env, 'FLOWCHAIN_RETENTION_DAYS', 7, 1, 3650),
    requestTimeoutMs: int(env, 'REQUEST_TIMEOUT_MS', 10_000, 1, 600_000),
    consensusDeadlineMs: int(env, 'CONSENSUS_DEADLINE_MS', 10, 1, 60_000),
    openaiApiKey: str(env, 'OPENAI_API_KEY'),
    openaiBaseUrl: url(env, 'OPENAI_BASE_URL', ['http:', 'https:']) ?? 'https://api.openai.com/v1',
    deepseekApiKey: str(env, 'DEEPSEEK_API_KEY'),
    deepseekBaseUrl: url(env, 'DEEPSEEK_BASE_URL', ['http:', 'https:']) ?? 'https://api.deepseek.com',
    googleApiKey: str(env, 'GOOGLE_API_KEY'),
    googleBaseUrl: url(env, 'GOOGLE_BASE_URL', ['http:', 'https:']) ?? 'https://generativelanguage.googleapis.com',
    telegramBotToken: str(env, 'TELEGRAM_BOT_TOKEN'),
    telegramApiRoot: url(env, 'TELEGRAM_API_ROOT', ['http:', 'https:']) ?? 'https://api.telegram.org',
    midtransServerKey: str(env, 'MIDTRANS_SERVER_KEY'),
    midtransBaseUrl: url(env, 'MIDTRANS_BASE_URL', ['http:', 'https:']) ?? 'https://app.sandbox.midtrans.com',
    newsFeeds,
    newsPollSec: int(env, 'NEWS_POLL_SEC', 300, 10, 86_400),
    weaviateUrl: url(env, 'WEAVIATE_URL', ['http:', 'https:']),
    arangoUrl: url(env, 'ARANGO_URL', ['http:', 'https:']),
    isTest,
  };
}

let current: Config | null = null;

/** The process-wide config, parsed once. */
export function config(): Config {
  current ??= loadConfig();
  return current;
}

/** Replace the process-wide config (tests and CLI flags). */
export function setConfig(c: Config): Config {
  current = c;
  return c;
}

/** Parse the environment or exit(2) with a message naming the variable. For entry points. */
export function configOrExit(): Config {
  try {
    return config();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`plan2: configuration error: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
}
