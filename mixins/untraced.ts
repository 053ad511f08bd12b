import type { EventSchema } from 'moleculer';

/**
 * An event handler that gets no tracing span: Moleculer honours `tracing: false` on an
 * event (its typings omit the field). For handlers that only fold facts into state at
 * tick or candle rate and are a step of no FlowChain chain.
 */
export function untraced<T extends EventSchema>(def: T): T {
  return Object.assign(def, { tracing: false });
}
