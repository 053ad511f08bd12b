/**
 * A trading engine with its order intake on a real PostgreSQL, without a broker: what the
 * intake tests drive directly, in this process or in a child that is killed mid-flight
 * (`node dist/test/helpers/intake-engine.js <url> <tenant> <orders>`).
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { PgDb } from '../../lib/storage/adapters/pg';
import { PipelinedConnection } from '../../lib/storage/pipelined-connection';
import { STANDARD_SYMBOLS } from '../../lib/trading/price-source';
import { TradingEngine } from '../../services/trading/engine';
import { IntakeOptions, OrderIntake } from '../../services/trading/intake';
import type { OrderIntent, Quote } from '../../types/trading';

export interface IntakeEngine {
  engine: TradingEngine;
  intake: OrderIntake;
  db: PgDb;
  events: { event: string; payload: unknown }[];
  close(): Promise<void>;
}

/** Where this process's intake journals go unless a test names a directory. */
export const JOURNALS = path.join(os.tmpdir(), `plan2-intake-${process.pid}`);

export function asyncUrl(url: string): string {
  const u = new URL(url);
  u.searchParams.set('options', '-c synchronous_commit=off');
  return u.toString();
}

export function intakeEngine(url: string, name: string, opts: { maxInFlight?: number; journalDir?: string; handOver?: IntakeOptions['handOver'] } = {}): IntakeEngine {
  const db = new PgDb({ connectionString: url, max: 4 });
  const fastDb = new PgDb({ connectionString: asyncUrl(url), max: 4 });
  const logger = { info: () => undefined, warn: () => undefined, error: (...a: unknown[]) => process.stderr.write(`${a.map(String).join(' ')}\n`) };
  let intake: OrderIntake | null = null;
  const conn = new PipelinedConnection({ connectionString: asyncUrl(url), applicationName: `plan2-trading:${name}`, onReset: () => intake?.sessionLost() });
  intake = new OrderIntake({ conn, db, logger, maxInFlight: opts.maxInFlight, journalDir: opts.journalDir ?? JOURNALS, handOver: opts.handOver });
  const quote: Quote = { symbol: 'EURUSD', bid: 1.1, ask: 1.1002, time_msc: Date.now() };
  const events: IntakeEngine['events'] = [];
  const engine = new TradingEngine({
    db,
    fastDb,
    intake,
    prices: { latest: async (s) => (s === 'EURUSD' ? { ...quote, time_msc: Date.now() } : null), spec: async (s) => STANDARD_SYMBOLS[s] ?? null },
    emit: (event, payload) => void events.push({ event, payload }),
    logger,
  });
  const i = intake;
  return {
    engine,
    intake: i,
    db,
    events,
    close: async () => {
      await engine.idle();
      await i.close();
      await fastDb.close();
      await db.close();
    },
  };
}

export const BUY: OrderIntent = { symbol: 'EURUSD', side: 'buy', type: 'market', volume: 0.01 };

/** Claim the tenant and wait until its keys are loaded (the fast path is open). */
export async function owned(e: IntakeEngine, tenantId: string, warmKey: string): Promise<void> {
  await e.engine.submit({ tenantId, idempotencyKey: warmKey, intent: BUY });
  for (let i = 0; i < 500 && !e.intake.owns(tenantId); i++) await new Promise((r) => setTimeout(r, 10));
  if (!e.intake.owns(tenantId)) throw new Error(`${tenantId} not owned`);
}

// The child: acknowledge `orders` orders on the fast path, print their ids, and die before reading any reply.
if (require.main === module) {
  const [url, tenantId, n, journalDir] = process.argv.slice(2);
  const e = intakeEngine(url, 'crash-child', { journalDir });
  void (async () => {
    await owned(e, tenantId, 'warm');
    await e.intake.idle();
    const acks = await Promise.all(Array.from({ length: Number(n) }, (_, k) => e.engine.submit({ tenantId, idempotencyKey: `crash-${k}`, intent: BUY })));
    process.stdout.write(`${JSON.stringify({ ids: acks.map((a) => a.order.id), fast: e.intake.stats.fast })}\n`);
    process.kill(process.pid, 'SIGKILL');
  })();
}
