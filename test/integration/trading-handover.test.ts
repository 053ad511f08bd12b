/**
 * Two trading nodes over the real NATS and one PostgreSQL: an order that one node
 * acknowledged and could not store (here, in the journal of a process that died) for a
 * tenant the other node owns is handed to the owner (`trading.adopt`) and stored there once.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setConfig } from '../../config';
import { journalName } from '../../lib/storage/ack-journal';
import { requestHash } from '../../lib/trading/request-hash';
import { Platform, startPlatform } from '../../runner';
import type { JournalOrder, OrderIntake } from '../../services/trading/intake';
import type { TradingEngine } from '../../services/trading/engine';
import { newOrderOf } from '../../services/trading/trading.store';
import type { Order } from '../../types/trading';
import { createTestDatabase, NATS_URL, TestDatabase, testConfig } from '../helpers/infra';
import { BUY } from '../helpers/intake-engine';
import { createTenants, sql, until } from '../helpers/trading';

type Trading = { engine: TradingEngine; intake: OrderIntake };

const HASH = requestHash(BUY, undefined);
const orderOf = (key: string): Order =>
  newOrderOf({ id: `o_${key}`, tenantId: 't1', accountId: 'paper', idempotencyKey: key, requestHash: HASH, decisionId: null, symbol: 'EURUSD', side: 'buy', type: 'market', volume: 0.01,
    price: null, sl: null, tp: null, trailing: null, positionId: null, comment: null, origin: 'client', risk: null, createdAt: Date.now(), expiresAt: null });

describe('two trading nodes over NATS: acknowledged orders go to the node that owns their tenant', () => {
  let tdb: TestDatabase;
  let a: Platform | undefined;
  let b: Platform | undefined;
  let dataDir: string;

  beforeAll(async () => {
    tdb = await createTestDatabase('handover');
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plan2-handover-'));
  });
  afterAll(async () => {
    await b?.stop();
    await a?.stop();
    await tdb?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('the owner stores them once; a call without the hand-over mark is refused', async () => {
    const ns = `plan2-test-${randomBytes(4).toString('hex')}`;
    const common = { DATABASE_URL: tdb.url, TRANSPORTER: NATS_URL, DATA_DIR: dataDir, SERVICES: 'trading' };
    a = await startPlatform(setConfig(testConfig({ ...common, NODE_ID: 'trade-a' })), { namespace: ns });
    b = await startPlatform(testConfig({ ...common, NODE_ID: 'trade-b' }), { namespace: ns });
    await createTenants(tdb.url, ['t1']);
    await until(() => b!.broker.registry.getServiceList({ onlyAvailable: true }).some((s) => s.name === 'trading' && s.nodeID === 'trade-a'), 10_000);
    const onA = a.broker.getLocalService('trading') as unknown as Trading;
    const onB = b.broker.getLocalService('trading') as unknown as Trading;

    await expect(b.broker.call('trading.adopt', { order: orderOf('x'), requestHash: HASH }, { nodeID: 'trade-a' })).rejects.toMatchObject({ code: 403, type: 'FORBIDDEN_CALLER' });
    await expect(b.broker.call('trading.adopt', { order: { ...orderOf('y'), volume: -1 }, requestHash: HASH }, { nodeID: 'trade-a', meta: { intakeHandOver: true } })).rejects.toMatchObject({ code: 422 });

    // Node A takes tenant t1 (its first order there starts the claim).
    expect(await b.broker.call('trading.adopt', { order: orderOf('first'), requestHash: HASH }, { nodeID: 'trade-a', meta: { intakeHandOver: true } })).toEqual({ stored: true });
    await until(() => onA.intake.owns('t1'), 5000);

    // A process of node B died with two acknowledged orders of t1 in its journal (and one key A has already stored).
    const journal = path.join(dataDir, 'journal', `${journalName('intake', tdb.url)}-99999997.jsonl`);
    const records: JournalOrder[] = ['lost-1', 'lost-2', 'first'].map((k) => ({ v: 1, requestHash: HASH, order: orderOf(k) }));
    fs.writeFileSync(journal, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
    expect(await onB.engine.replayKept()).toBe(3);
    expect(onB.intake.stats.handedOver).toBe(3);
    expect(fs.existsSync(journal)).toBe(false);
    const rows = await sql<{ id: string; n: number }>(tdb.url, `SELECT id, count(*) OVER (PARTITION BY idempotency_key)::int AS n FROM orders WHERE tenant_id = 't1' ORDER BY id`);
    expect(rows).toEqual([
      { id: 'o_first', n: 1 },
      { id: 'o_lost-1', n: 1 },
      { id: 'o_lost-2', n: 1 },
    ]);
    // Stored through A's intake: A knows their keys (a new key would be acknowledged at once), B has none of them.
    expect(['lost-1', 'lost-2'].map((k) => onA.intake.lookup('t1', k).kind)).toEqual(['ask', 'ask']);
    expect(onA.intake.lookup('t1', 'never-used').kind).toBe('new');
    expect(onB.intake.owns('t1')).toBe(false);
  });
});
