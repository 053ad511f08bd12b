/**
 * ClickHouse for integration tests: makes sure a server answers (starting it
 * with scripts/clickhouse.sh when it does not) and hands out a fresh database name per test file.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { ROOT } from '../../paths';

export const CLICKHOUSE_URL = process.env.TEST_CLICKHOUSE_URL ?? 'http://127.0.0.1:8123';

async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(new URL('/ping', url), { signal: AbortSignal.timeout(2000) });
    return res.ok;
  } catch {
    return false;
  }
}

/** Resolve when ClickHouse answers at CLICKHOUSE_URL; start it via scripts/clickhouse.sh if needed; throw a clear error otherwise. */
export async function ensureClickHouse(): Promise<string> {
  if (await answers(CLICKHOUSE_URL)) return CLICKHOUSE_URL;
  try {
    execFileSync('bash', [path.join(ROOT, 'scripts', 'clickhouse.sh')], {
      env: { ...process.env, CLICKHOUSE_URL },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 240_000,
    });
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    throw new Error(`ClickHouse is not answering at ${CLICKHOUSE_URL} and scripts/clickhouse.sh could not start it: ${err.stderr?.toString().trim() || err.message}`);
  }
  if (!(await answers(CLICKHOUSE_URL))) throw new Error(`ClickHouse still not answering at ${CLICKHOUSE_URL} after scripts/clickhouse.sh`);
  return CLICKHOUSE_URL;
}

/** A unique database name for one test file. */
export function clickHouseTestDatabase(tag = 't'): string {
  return `plan2_${tag}_${process.pid}_${randomBytes(4).toString('hex')}`;
}
