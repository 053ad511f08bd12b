/**
 * The sampling middleware on a real in-process broker with Plan2's tracing
 * options: what reaches `flowchain.spans` is what FlowChain will see.
 */
import type { ServiceBroker } from 'moleculer';
import { setConfig } from '../../../config';
import { createBroker } from '../../../runner';
import type { SpanBatch, SpanRecord } from '../../../types/flowchain';
import { testConfig } from '../../helpers/infra';
import { createFixtures, FixtureKnobs, waitFor } from './fixtures';

describe('trace sampling middleware', () => {
  let broker: ServiceBroker;
  const got: SpanRecord[] = [];
  const knobs: FixtureKnobs = { tenants: ['alpha'], slowAgentMs: 0, agentMs: 0, rejectTenants: new Set() };

  beforeAll(async () => {
    const cfg = setConfig(testConfig({ TICK_TRACE_RATE: '0.25' }));
    broker = createBroker(cfg, { nodeID: 'sampling' });
    createFixtures(broker, knobs, ['market-data', 'agents', 'consensus', 'risk', 'trading']);
    broker.createService({
      name: 'span-sink',
      events: {
        'flowchain.spans'(ctx: { params: SpanBatch }) {
          got.push(...ctx.params.spans);
        },
      },
    });
    await broker.start();
  });

  afterAll(async () => broker?.stop());

  it('traces a quarter of the ticks, tags their rate, and every decision inside unsampled ticks at rate 1', async () => {
    // 100 ticks; the sampler keeps ticks 0, 4, 8, …; 4 ticks close a candle, none of them a kept one
    const closing = [1, 26, 51, 77];
    for (let i = 0; i < 100; i++) await broker.call('market-data.ingest', { symbol: 'EURUSD', bid: 1.1, close: closing.includes(i) });
    const count = (op: string) => got.filter((s) => s.op === op).length;
    await waitFor(() => count('trading.submit') >= 4 && count('market-data.ingest') >= 25, 5000, 'four orders and 25 ticks');
    await new Promise((r) => setTimeout(r, 300)); // the exporter flushes every 100 ms: nothing more may come
    const ingests = got.filter((s) => s.op === 'market-data.ingest');
    expect(ingests).toHaveLength(25);
    expect(ingests.every((s) => s.sampleRate === 0.25)).toBe(true);
    // everything below a kept tick is exported, nothing below a dropped one (except the always-traced decision path)
    const keptIds = new Set(ingests.map((s) => s.id));
    const custom = got.filter((s) => s.kind === 'custom');
    expect(custom).toHaveLength(75);
    expect(custom.every((s) => keptIds.has(s.parentId ?? ''))).toBe(true);
    // candle.closed handlers, decisions, risk and orders: always, with rate 1 where the decision is taken
    const consensusCandles = got.filter((s) => s.op === 'candle.closed@consensus');
    expect(consensusCandles).toHaveLength(4);
    expect(consensusCandles.every((s) => s.sampleRate === 1 && !keptIds.has(s.parentId ?? ''))).toBe(true);
    expect(got.filter((s) => s.op === 'consensus.decide')).toHaveLength(4);
    expect(got.filter((s) => s.op.endsWith('.opine'))).toHaveLength(12);
    expect(got.filter((s) => s.op === 'order.filled@trading')).toHaveLength(4);
    // no span of the intake itself
    expect(got.some((s) => s.op.startsWith('flowchain.') || s.op.startsWith('$'))).toBe(false);
  });
});
