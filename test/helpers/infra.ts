/**
 * Real infrastructure for integration tests: a fresh PostgreSQL database per
 * test file (dropped afterwards), a Redis key prefix per run, NATS URL.
 * CI (.ci/run) makes sure the servers run; locally they run on the node-svc machine.
 */
import { randomBytes } from 'node:crypto';
import { createScratchDatabase } from '../../lib/storage/scratch';
import { Config, loadConfig } from '../../config';

export const PG_ADMIN_URL = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const NATS_URL = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** Create an empty database with a unique name on the real PostgreSQL server. */
export async function createTestDatabase(tag = 't'): Promise<TestDatabase> {
  return createScratchDatabase(PG_ADMIN_URL, tag);
}

/** A unique Redis key prefix for one test run. */
export function redisPrefix(): string {
  return `plan2test:${process.pid}:${randomBytes(3).toString('hex')}:`;
}

/** A Config for tests from explicit variables (never the developer's environment). */
export function testConfig(env: Record<string, string | undefined> = {}): Config {
  return loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'warn', PORT: '0', MT5_PORT: '0', REPLAY: 'false', ...env });
}
