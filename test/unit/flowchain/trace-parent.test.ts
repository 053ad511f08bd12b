/**
 * An event emitted under a TraceParent after its call has returned lands in the call's
 * trace exactly as one emitted by `ctx.emit` inside the call: same request id, parent
 * (the call's span), caller, level, tracing flag and meta.
 */
import { Context } from 'moleculer';
import { emitUnder, TraceParent, traceParent } from '../../../flowchain/trace-parent';
import { createBroker } from '../../../runner';
import { testConfig } from '../../helpers/infra';

interface Seen {
  how: string;
  requestID: string | null;
  parentID: string | null;
  caller: string | null;
  level: number;
  tracing: boolean | null;
  meta: unknown;
}

describe('traceParent', () => {
  it('makes a later event a child of the call, as ctx.emit inside it would', async () => {
    const broker = createBroker(testConfig({ LOG_LEVEL: 'error' }), { logger: false });
    const seen: Seen[] = [];
    let kept: TraceParent | null = null;
    let callSpanId: string | null = null;
    broker.createService({
      name: 'orders',
      actions: {
        place: {
          async handler(ctx: Context) {
            callSpanId = (ctx.span as { id: string } | null)?.id ?? null;
            kept = traceParent(ctx);
            await ctx.emit('thing.done', { how: 'inside' });
            return 'ok';
          },
        },
      },
    });
    broker.createService({
      name: 'listener',
      events: {
        'thing.done'(ctx: Context<{ how: string }>) {
          seen.push({ how: ctx.params.how, requestID: ctx.requestID, parentID: ctx.parentID, caller: ctx.caller, level: ctx.level, tracing: ctx.tracing, meta: ctx.meta });
        },
      },
    });
    await broker.start();
    try {
      await broker.call('orders.place', {}, { requestID: 'req-1', meta: { tenantId: 't1' } });
      // The call has answered; its Context is no longer held by anyone here.
      await emitUnder(broker, kept!, 'thing.done', { how: 'after' });
    } finally {
      await broker.stop();
    }
    expect(seen.map((s) => s.how)).toEqual(['inside', 'after']);
    const [inside, after] = seen;
    expect(inside.requestID).toBe('req-1');
    expect(callSpanId).not.toBeNull();
    expect(inside.parentID).toBe(callSpanId);
    expect(inside.caller).toBe('orders');
    const { how: _a, ...insideRest } = inside;
    const { how: _b, ...afterRest } = after;
    expect(afterRest).toEqual(insideRest);
    expect(after.meta).toEqual({ tenantId: 't1' });
  });

  it('keeps nothing of the Context but the fields a child reads', () => {
    const ctx = { requestID: 'r', id: 'c', span: { id: 's', tags: { big: 'x'.repeat(1000) } }, tracing: true, level: 2, meta: { tenantId: 't' }, service: { fullName: 'trading', schema: {} }, params: { heavy: true } };
    expect(traceParent(ctx as unknown as Context)).toEqual({ requestID: 'r', id: 'c', span: { id: 's' }, tracing: true, level: 2, meta: { tenantId: 't' }, service: { fullName: 'trading' } });
  });
});
