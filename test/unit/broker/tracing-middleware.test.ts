/**
 * The Tracing middleware and LightSpan that replace Moleculer's make the same spans:
 * the same calls on a broker with Moleculer's own and on one with ours give span
 * lists equal in names, types, tags, services, sampling, errors and parentage.
 */
import { ServiceBroker, ServiceSchema } from 'moleculer';
import { LightSpan } from '../../../flowchain/light-span';
import { TracingMiddleware } from '../../../middlewares/tracing.middleware';
import { brokerOptions } from '../../../moleculer.config';
import { createBroker } from '../../../runner';
import { testConfig } from '../../helpers/infra';

interface SpanSeen {
  name: string;
  type: string;
  id: string;
  traceID: string;
  parentID: string | null;
  sampled: boolean;
  service?: { name: string; fullName?: string };
  tags: Record<string, unknown>;
  error: unknown;
  duration: number | null;
}

const SERVICE: ServiceSchema = {
  name: 'svc',
  actions: {
    plain: { params: { a: 'number' }, handler: (ctx) => ({ r: (ctx.params as { a: number }).a * 2, s: 'x' }) },
    picked: { tracing: { tags: { params: ['a'], meta: true, response: ['r'] } }, params: { a: 'number', b: 'string' }, handler: () => ({ r: 1, s: 2 }) },
    // Dotted paths, as moleculer-web tags its REST spans (`req.url`).
    paths: { tracing: { tags: { params: ['req.url', 'req.method', 'req.none', 'x.y.z', 'flat.key'] } }, params: {}, handler: () => 1 },
    byFunction: { tracing: { tags: (ctx: unknown, res?: unknown) => ({ custom: res === undefined ? 'before' : 'after' }) } as never, params: {}, handler: () => 'ok' },
    named: { tracing: { spanName: 'a custom name', safetyTags: true }, params: {}, handler: () => 1 },
    untraced: { tracing: false, params: {}, handler: () => 1 },
    fails: { params: {}, handler: () => Promise.reject(new Error('boom')) },
    nested: {
      params: {},
      async handler(ctx) {
        await ctx.call('svc.plain', { a: 1 });
        await ctx.emit('thing.happened', { k: 1 });
        const span = ctx.startSpan('custom work', { tags: { step: 1 } });
        ctx.finishSpan(span);
        return 1;
      },
    },
  },
  events: {
    'thing.happened': { handler: () => undefined },
    'thing.quiet': { tracing: false, handler: () => undefined } as never,
    'thing.tagged': { tracing: { tags: { params: true } }, handler: () => undefined } as never,
  },
};

async function run(broker: ServiceBroker): Promise<SpanSeen[]> {
  const seen: SpanSeen[] = [];
  broker.createService(SERVICE);
  await broker.start();
  const tracer = broker.tracer as unknown as { exporter: { spanFinished(s: unknown): void }[] };
  const exp = tracer.exporter[0];
  const orig = exp.spanFinished.bind(exp);
  exp.spanFinished = (s: unknown) => {
    seen.push(s as SpanSeen);
    orig(s);
  };
  const meta = { meta: { tenantId: 't1', other: 'x' } };
  await broker.call('svc.plain', { a: 2 }, meta);
  await broker.call('svc.picked', { a: 1, b: 'z' }, meta);
  await broker.call('svc.byFunction', {}, meta);
  await broker.call('svc.paths', { req: { url: '/a', method: 'GET', headers: { h: 1 } }, x: { y: { z: 0, w: 1 } }, 'flat.key': 'v' });
  await broker.call('svc.named', {});
  await broker.call('svc.untraced', {});
  await broker.call('svc.fails', {}).catch(() => undefined);
  await broker.call('svc.nested', {}, meta);
  await broker.emit('thing.quiet', { q: 1 });
  await broker.emit('thing.tagged', { q: 2 }, meta);
  await broker.call('svc.plain', { a: 3 }, { meta: { tenantId: 't2' }, tracing: false } as never).catch(() => undefined);
  await broker.stop();
  return seen;
}

/** Spans with ids replaced by their order of appearance, times dropped, errors by their message. */
function normalise(spans: SpanSeen[]): unknown[] {
  const ids = new Map<string, number>();
  const idOf = (x: string | null | undefined) => {
    if (x == null) return null;
    if (!ids.has(x)) ids.set(x, ids.size);
    return ids.get(x);
  };
  return spans.map((s) => {
    const tags = JSON.parse(JSON.stringify(s.tags)) as Record<string, unknown>;
    for (const k of ['requestID', 'callerNodeID', 'nodeID']) if (k in tags) tags[k] = typeof tags[k];
    // A nested call's timeout is what is left of its parent's: a time, not a setting.
    const o = tags.options as { timeout?: unknown } | undefined;
    if (o && 'timeout' in o) o.timeout = typeof o.timeout;
    return {
      name: s.name,
      type: s.type,
      id: idOf(s.id),
      traceID: idOf(s.traceID),
      parentID: idOf(s.parentID),
      sampled: s.sampled,
      service: s.service ? { name: s.service.name, fullName: s.service.fullName } : null,
      tags,
      error: s.error ? (s.error as Error).message : null,
      timed: typeof s.duration === 'number' && s.duration >= 0,
    };
  });
}

describe('Tracing middleware and LightSpan (Moleculer-compatible spans)', () => {
  it('make the same spans as Moleculer’s Tracing middleware and Span', async () => {
    const cfg = testConfig({ LOG_LEVEL: 'error' });
    const theirs = brokerOptions(cfg, { logger: false, nodeID: 'n1' });
    theirs.middlewares = (theirs.middlewares ?? []).map((m) => (m === (TracingMiddleware as never) ? 'Tracing' : m));
    const reference = normalise(await run(new ServiceBroker(theirs)));
    const ours = normalise(await run(createBroker(cfg, { logger: false, nodeID: 'n1' })));
    expect(reference.length).toBeGreaterThanOrEqual(9);
    expect(ours).toEqual(reference);
    // What the tags options select is really there (not both sides empty).
    const byName = (n: string) => (ours as { name: string; tags: Record<string, unknown> }[]).find((s) => s.name === n)!;
    expect(byName("action 'svc.picked'").tags).toMatchObject({ params: { a: 1 }, meta: { tenantId: 't1', other: 'x' }, response: { r: 1 } });
    expect(byName("action 'svc.plain'").tags).toMatchObject({ meta: { tenantId: 't1' } });
    expect(byName("action 'svc.plain'").tags).not.toHaveProperty('params');
    expect(byName("action 'svc.byFunction'").tags).toMatchObject({ custom: 'after' });
    expect(byName("action 'svc.paths'").tags.params).toEqual({ req: { url: '/a', method: 'GET' }, x: { y: { z: 0 } }, 'flat.key': 'v' });
    expect(byName('a custom name')).toBeDefined();
    expect(byName("action 'svc.fails'")).toMatchObject({ error: 'boom' });
    expect(byName("event 'thing.tagged' in 'svc'").tags).toMatchObject({ params: { q: 2 } });
    expect(ours.some((s) => (s as { name: string }).name.includes('untraced') || (s as { name: string }).name.includes('thing.quiet'))).toBe(false);
  });

  it('a LightSpan keeps its tracer, logger, options and meta out of its own keys (it serialises without them)', async () => {
    const broker = createBroker(testConfig({ LOG_LEVEL: 'error' }), { logger: false });
    await broker.start();
    try {
      const span = broker.tracer.startSpan('x', { tags: { a: 1 } }) as unknown as LightSpan;
      expect(span).toBeInstanceOf(LightSpan);
      expect(span.tracer).toBe(broker.tracer);
      expect(Object.keys(span)).not.toEqual(expect.arrayContaining(['tracer']));
      const child = span.startSpan('y') as unknown as LightSpan;
      expect([child.traceID, child.parentID]).toEqual([span.traceID, span.id]);
      span.meta.note = 1;
      span.log('checkpoint', { k: 1 });
      span.finish();
      expect(span.isActive()).toBe(false);
      const json = JSON.parse(JSON.stringify(span)) as Record<string, unknown>;
      expect(json).toMatchObject({ name: 'x', tags: { a: 1 }, logs: [{ name: 'checkpoint', fields: { k: 1 } }] });
      expect(json).not.toHaveProperty('tracer');
      expect(json).not.toHaveProperty('meta');
    } finally {
      await broker.stop();
    }
  });
});
