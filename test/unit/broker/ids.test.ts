/**
 * Context and request ids come from `crypto.randomUUID` (moleculer.config `uidGenerator`):
 * RFC 4122 version-4 ids, distinct per context, with a nested call keeping its caller's
 * request id (what FlowChain uses as the trace id).
 */
import { Context } from 'moleculer';
import { createBroker } from '../../../runner';
import { testConfig } from '../../helpers/infra';

const V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('broker ids', () => {
  it('gives every context a v4 UUID and a nested call its caller request id', async () => {
    const broker = createBroker(testConfig({ LOG_LEVEL: 'error' }), { logger: false });
    expect(broker.options.uidGenerator).toBeInstanceOf(Function);
    const seen: { id: string; requestID: string | null }[] = [];
    broker.createService({
      name: 'ids',
      actions: {
        inner: { handler: (ctx: Context) => void seen.push({ id: ctx.id, requestID: ctx.requestID }) },
        outer: {
          async handler(ctx: Context) {
            seen.push({ id: ctx.id, requestID: ctx.requestID });
            await ctx.call('ids.inner');
          },
        },
      },
    });
    await broker.start();
    try {
      await broker.call('ids.outer');
      await broker.call('ids.outer');
    } finally {
      await broker.stop();
    }
    expect(seen).toHaveLength(4);
    for (const s of seen) {
      expect(s.id).toMatch(V4);
      expect(s.requestID).toMatch(V4);
    }
    expect(new Set(seen.map((s) => s.id)).size).toBe(4);
    expect(seen[1].requestID).toBe(seen[0].requestID);
    expect(seen[3].requestID).toBe(seen[2].requestID);
    expect(seen[2].requestID).not.toBe(seen[0].requestID);
  });
});
