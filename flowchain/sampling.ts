/**
 * Per-operation trace sampling on top of Moleculer's global sampler.
 *
 * Moleculer decides sampling once per trace, at its root, with one global rate
 * (`tracing.sampling.rate`), and children inherit `ctx.tracing`. An action's
 * `tracing: false` option removes its span but leaves its children to the
 * global rate, and a span-filtering exporter would still build, time and ship
 * every tick span before dropping it. Neither gives "ticks at 1 %, decisions at
 * 100 %". So Plan2 keeps the global rate at 1 and adds this middleware:
 *
 * - rate rules (`market-data.ingest` at `TICK_TRACE_RATE`): at a trace root, a
 *   deterministic 1-in-N credit counter keeps a fraction `rate` of traces and
 *   marks the rest unsampled (the span and every call below it are neither
 *   exported nor shipped; only the span object itself is built, a few µs);
 *   kept roots are tagged `sampling.rate` so FlowChain estimates the total;
 * - always rules (`candle.closed`, `consensus.decide`, `risk.evaluate`,
 *   `trading.submit`, `api.rest`): traced even inside an unsampled tick trace,
 *   tagged `sampling.rate = 1`, so every decision, order and user request is
 *   traced at 100 % and counted at weight 1.
 *
 * User middlewares wrap inside Moleculer's Tracing middleware, so when this
 * one runs the span exists (`ctx.span`) and is not exported yet: flipping
 * `span.sampled` and `ctx.tracing` there decides for the span and, through
 * `ctx.tracing`, for every call and event below it.
 */
import type { Context, Middleware } from 'moleculer';
import { globToRegExp } from './chain';

export interface TraceSamplingRule {
  /** Glob over the action name or event name (`market-data.ingest*`). */
  match: string;
  /** Fraction of root traces kept, 0..1. */
  rate: number;
}

export interface TraceSamplingOptions {
  rates: TraceSamplingRule[];
  /** Globs of actions/events traced always. */
  always: string[];
}

/**
 * Deterministic rate sampler: keeps exactly ⌊n·rate⌋ or ⌈n·rate⌉ of n decisions,
 * evenly spread (a credit accumulator, no randomness).
 */
export class RateSampler {
  private credit: number;
  kept = 0;
  seen = 0;

  constructor(readonly rate: number) {
    if (!(rate >= 0 && rate <= 1)) throw new RangeError(`sampling rate must be in [0, 1], got ${rate}`);
    // Start full so that the first trace is kept: a quiet system still shows one.
    this.credit = rate > 0 ? 1 - rate : 0;
  }

  next(): boolean {
    this.seen++;
    this.credit += this.rate;
    if (this.credit >= 1 - 1e-12) {
      this.credit -= 1;
      this.kept++;
      return true;
    }
    return false;
  }
}

interface SpanLike {
  sampled: boolean;
  addTags(tags: Record<string, unknown>): unknown;
}

type Ctx = Context & { span?: SpanLike | null; tracing: boolean | null; parentID?: string | null };
type Handler = (ctx: Ctx) => Promise<unknown>;

/** The sampler applying to `name`, or 'always', or null. */
function ruleFor(name: string, opts: TraceSamplingOptions, samplers: Map<string, RateSampler>): RateSampler | 'always' | null {
  if (opts.always.some((g) => globToRegExp(g).test(name))) return 'always';
  const r = opts.rates.find((x) => globToRegExp(x.match).test(name));
  if (!r) return null;
  let s = samplers.get(r.match);
  if (!s) samplers.set(r.match, (s = new RateSampler(r.rate)));
  return s;
}

function wrap(name: string, next: Handler, rule: RateSampler | 'always'): Handler {
  if (rule === 'always') {
    return function alwaysTraced(ctx) {
      const span = ctx.span;
      if (span) {
        if (!span.sampled) {
          span.sampled = true;
          ctx.tracing = true;
        }
        span.addTags({ sampling: { rate: 1, rule: 'always' } });
      }
      return next(ctx);
    };
  }
  return function rateSampled(ctx) {
    const span = ctx.span;
    // Only where a trace starts; inside a trace the root's decision stands.
    if (span && span.sampled && !ctx.parentID) {
      if (rule.next()) span.addTags({ sampling: { rate: rule.rate, rule: name } });
      else {
        span.sampled = false;
        ctx.tracing = false;
      }
    }
    return next(ctx);
  };
}

/** The middleware (register it in broker options; it needs tracing enabled to have any effect). */
export function createTraceSamplingMiddleware(opts: TraceSamplingOptions): Middleware & { samplers: Map<string, RateSampler> } {
  const samplers = new Map<string, RateSampler>();
  return {
    name: 'TraceSampling',
    samplers,
    localAction(next: Handler, action: { name: string }) {
      const rule = ruleFor(action.name, opts, samplers);
      return rule ? wrap(action.name, next, rule) : next;
    },
    localEvent(next: Handler, event: { name: string }) {
      const rule = ruleFor(event.name, opts, samplers);
      return rule ? wrap(event.name, next, rule) : next;
    },
  } as unknown as Middleware & { samplers: Map<string, RateSampler> };
}

/** Plan2's rules: ticks at `tickRate`; decisions, orders and user requests always. */
export function plan2SamplingRules(tickRate: number): TraceSamplingOptions {
  return {
    rates: [
      { match: 'market-data.ingest*', rate: tickRate },
      { match: 'mt5-gateway.*tick*', rate: tickRate },
      { match: 'mt5.tick*', rate: tickRate },
    ],
    always: ['candle.closed', 'consensus.decide*', 'risk.evaluate*', 'trading.submit*', 'api.rest', 'order.filled'],
  };
}
