/**
 * The agents in their own process (`plan2 start` with SERVICES=agents) and
 * consensus here, over the real NATS server. Killing the agents' process
 * (SIGKILL: no goodbye on the wire) must not stop decisions: until the
 * registry notices, every call times out at the deadline and the agent is
 * recorded as abstained; afterwards it is recorded as unavailable.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Pool } from 'pg';
import { setConfig } from '../../config';
import { startPlatform } from '../../runner';
import type { Decision } from '../../types/agents';
import { eurusdTicks20140508, ticksToM1 } from '../helpers/bars';
import { createTestDatabase, NATS_URL, TestDatabase, testConfig } from '../helpers/infra';
import { PLAN2_BIN, runPlan2 } from '../helpers/process';
import { waitFor } from '../helpers/wait';

const m1 = ticksToM1(eurusdTicks20140508(4));

describe('agents in a separate process over NATS', () => {
  let db: TestDatabase;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plan2-agents-'));
  beforeAll(async () => {
    db = await createTestDatabase('agentsnode');
  });
  afterAll(async () => {
    await db.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('decides with their opinions, and keeps deciding after the process is killed', async () => {
    expect(fs.existsSync(PLAN2_BIN)).toBe(true); // `npm test` builds first
    const ns = `plan2e-${process.pid}-${randomBytes(3).toString('hex')}`;
    const deadline = 300;
    const a = await startPlatform(setConfig(testConfig({ DATABASE_URL: db.url, TRANSPORTER: NATS_URL, NAMESPACE: ns, NODE_ID: `${ns}-consensus`, SERVICES: 'consensus', CONSENSUS_DEADLINE_MS: String(deadline) })), { logger: false });
    const child = runPlan2(['start'], { TRANSPORTER: NATS_URL, NAMESPACE: ns, NODE_ID: `${ns}-agents`, SERVICES: 'agents/research,agents/decision', LOG_LEVEL: 'warn', DATA_DIR: dataDir });
    try {
      const pool = new Pool({ connectionString: db.url });
      await pool.query("INSERT INTO tenants (id, name, tier) VALUES ('tk', 'tk', 'pro')");
      await pool.end();
      await waitFor(() => a.broker.registry.getServiceList({ onlyAvailable: true }).filter((s) => s.name.startsWith('agent.')).length === 8, 30_000, 100).catch((e: Error) => {
        throw new Error(`${e.message}; agents process output:\n${child.output()}`);
      });
      const made: Decision[] = [];
      a.broker.createService({ name: 'probe', events: { 'decision.made'(ctx: { params: Decision }) { made.push(ctx.params); } } });
      await a.broker.call('consensus.watchlistSeed', { tenantId: 'tk', items: [{ symbol: 'EURUSD', tf: 'M1' }] });
      for (const c of m1.slice(0, 40)) await a.broker.emit('candle.closed', c);
      await waitFor(() => made.length >= 40, 30_000);
      expect(made[39].opinions).toHaveLength(8);

      child.child.kill('SIGKILL');
      await child.exited;
      // The next candle: market opinions of the old one were shared, this one needs fresh answers.
      const t0 = Date.now();
      await a.broker.emit('candle.closed', m1[40]);
      const d = (await waitFor(() => made.find((x) => x.asOf === m1[40].t + 60_000), 10_000))!;
      const wall = Date.now() - t0;
      expect(d.opinions).toHaveLength(0);
      expect(d.abstained.map((x) => x.agent)).toHaveLength(8);
      expect(d.abstained.every((x) => x.reason === `no answer within ${deadline} ms` || /unavailable/.test(x.reason))).toBe(true);
      expect(d.action).toBe('hold');
      expect(wall).toBeLessThan(deadline + 400);
    } finally {
      if (child.child.exitCode === null && child.child.signalCode === null) child.child.kill('SIGKILL');
      await a.stop();
    }
  }, 90_000);
});
