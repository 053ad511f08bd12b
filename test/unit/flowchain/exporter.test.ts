/**
 * FlowChainExporter on a real broker: spans go out in one batch `flushMs` after the first
 * of them, a full batch goes at once, nothing is scheduled while nothing is queued, and
 * spans are counted as dropped when no node listens.
 */
import { Context, ServiceBroker } from 'moleculer';
import { FlowChainExporter, SPANS_EVENT } from '../../../flowchain/exporter';
import { createBroker } from '../../../runner';
import type { SpanBatch } from '../../../types/flowchain';
import { testConfig } from '../../helpers/infra';

function exporterOf(broker: ServiceBroker): FlowChainExporter {
  return (broker.tracer as unknown as { exporter: FlowChainExporter[] }).exporter[0];
}

async function withBroker(listen: boolean, fn: (b: ServiceBroker, batches: SpanBatch[]) => Promise<void>): Promise<void> {
  const broker = createBroker(testConfig({ LOG_LEVEL: 'error' }), { logger: false });
  const batches: SpanBatch[] = [];
  broker.createService({ name: 'work', actions: { run: { handler: (ctx: Context) => ctx.call('work.inner'), params: {} }, inner: { handler: () => 1, params: {} } } });
  if (listen) broker.createService({ name: 'spans-probe', events: { [SPANS_EVENT]: (ctx: Context<SpanBatch>) => void batches.push(ctx.params) } });
  await broker.start();
  try {
    await fn(broker, batches);
  } finally {
    await broker.stop();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('FlowChainExporter', () => {
  it('sends the spans of a burst in one batch a flush interval after the first, and then waits idle', async () => {
    await withBroker(true, async (broker, batches) => {
      const ex = exporterOf(broker);
      expect(ex.flushMs).toBe(20);
      await sleep(60); // start-up spans out of the way
      batches.length = 0;
      expect(ex.pending).toBe(false);
      await broker.call('work.run');
      await broker.call('work.run');
      expect(ex.pending).toBe(true);
      expect(batches).toHaveLength(0);
      await sleep(ex.flushMs * 3);
      const ours = batches.flatMap((b) => b.spans).filter((s) => s.op === 'work.run' || s.op === 'work.inner');
      expect(ours).toHaveLength(4);
      expect(batches).toHaveLength(1);
      expect(ex.pending).toBe(false);
      await sleep(ex.flushMs * 3);
      expect(batches).toHaveLength(1); // idle: no more batches, nothing scheduled
      expect(ex.pending).toBe(false);
    });
  });

  it('sends a full batch at once', async () => {
    await withBroker(true, async (broker, batches) => {
      const ex = exporterOf(broker);
      await sleep(60);
      batches.length = 0;
      const calls = Math.ceil(ex.maxBatch / 2) + 1;
      for (let i = 0; i < calls; i++) await broker.call('work.run');
      expect(batches.length).toBeGreaterThanOrEqual(1);
      expect(batches[0].spans).toHaveLength(ex.maxBatch);
    });
  });

  it('counts spans as dropped when no node listens', async () => {
    await withBroker(false, async (broker) => {
      const ex = exporterOf(broker);
      await sleep(60);
      const before = ex.dropped;
      await broker.call('work.run');
      await sleep(ex.flushMs * 3);
      expect(ex.dropped - before).toBe(2);
      expect(ex.pending).toBe(false);
    });
  });
});
