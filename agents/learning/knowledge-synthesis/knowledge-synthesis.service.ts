/**
 * `agent.knowledge-synthesis`: situations with their outcomes in a vector
 * memory, opinions from the nearest past situations, and which agents agree or
 * disagree (see knowledge-synthesis.agent.ts).
 *
 * The agent searches its embedded exact k-NN memory (the decision path never
 * waits on the network). With WEAVIATE_URL every stored situation is mirrored to
 * the `Situation` collection in Weaviate (batched; a failed batch is logged),
 * which also answers `GET /knowledge/similar`. On start the newest stored
 * decisions and their bars are replayed to rebuild the memory.
 * REST: `GET /knowledge/similar?symbol&tf&k`, `GET /agents/agreement?minN`.
 */
import type { Context, ServiceSchema, ServiceSettingSchema } from 'moleculer';
import { config } from '../../../config';
import type { AgentFact } from '../../../lib/agents/agent';
import { WeaviateVectorStore } from '../../../lib/storage/adapters/weaviate';
import type { VectorMatch, VectorRecord, VectorStore } from '../../../lib/storage/vector';
import { agentOf, AgentThis, createAgentMixin } from '../../../mixins/agent.mixin';
import { TIMEFRAMES, Timeframe } from '../../../types/market';
import { replayHistory } from '../replay-history';
import { AgreementPair, KnowledgeSynthesisAgent, SITUATION_SCHEMA } from './knowledge-synthesis.agent';

interface Vars {
  mirror: VectorStore | null;
  queue: VectorRecord[];
  flushing: Promise<void> | null;
  history: Promise<unknown> | null;
}

type This = AgentThis & Vars;

async function flush(self: This): Promise<void> {
  while (self.queue.length > 0 && self.mirror) {
    const batch = self.queue.splice(0, 500);
    await self.mirror.upsert(batch);
  }
}

/** Situations go to the mirror store (when configured), never onto the broker. */
function publish(this: AgentThis, fact: AgentFact): Promise<void> {
  const self = this as This;
  if (fact.event !== 'knowledge.situation.stored' || !self.mirror) return Promise.resolve();
  self.queue.push(fact.payload as VectorRecord);
  if (self.queue.length > 50_000) self.queue.splice(0, self.queue.length - 50_000);
  self.flushing ??= flush(self)
    .catch((e: unknown) => self.logger.warn(`knowledge-synthesis: situations not mirrored to ${self.mirror?.kind}: ${(e as Error).message}`))
    .finally(() => {
      self.flushing = null;
    });
  return Promise.resolve();
}

const KnowledgeSynthesisService: ServiceSchema<ServiceSettingSchema, object, This> = {
  name: 'agent.knowledge-synthesis',
  mixins: [createAgentMixin(() => new KnowledgeSynthesisAgent(), { publish })],
  settings: { rest: '/' },
  actions: {
    /** The past situations nearest to the latest one of a series, with what happened after them. */
    similar: {
      rest: 'GET /knowledge/similar',
      params: { symbol: { type: 'string', min: 1, max: 32 }, tf: { type: 'enum', values: [...TIMEFRAMES] }, k: { type: 'number', integer: true, min: 1, max: 100, optional: true, convert: true } },
      async handler(this: This, ctx: Context<{ symbol: string; tf: Timeframe; k?: number }>): Promise<{ store: string; situationAsOf: number | null; items: VectorMatch[] }> {
        const agent = agentOf<KnowledgeSynthesisAgent>(this);
        const k = ctx.params.k ?? 10;
        if (!this.mirror) {
          const r = agent.neighbours(ctx.params.symbol, ctx.params.tf, undefined, k);
          return { store: 'memory', situationAsOf: r.situation?.asOf ?? null, items: r.matches };
        }
        const cur = agent.situationBefore(ctx.params.symbol, ctx.params.tf);
        if (!cur) return { store: this.mirror.kind, situationAsOf: null, items: [] };
        await this.flushing;
        const items = await this.mirror.query({ vector: cur.vector, k, where: { symbol: ctx.params.symbol, tf: ctx.params.tf } });
        return { store: this.mirror.kind, situationAsOf: cur.asOf, items: items.filter((m) => (m.properties.asOf as number) < cur.asOf) };
      },
    },
    /** Pairs of agents by how often they take the same side when both take one. */
    agreement: {
      rest: 'GET /agents/agreement',
      params: { minN: { type: 'number', integer: true, min: 1, max: 1_000_000, optional: true, convert: true } },
      handler(this: This, ctx: Context<{ minN?: number }>): { items: AgreementPair[] } {
        return { items: agentOf<KnowledgeSynthesisAgent>(this).agreement(ctx.params.minN ?? 20) };
      },
    },
  },
  created(this: This) {
    const url = config().weaviateUrl;
    this.mirror = url ? new WeaviateVectorStore({ url, className: 'Situation', schema: SITUATION_SCHEMA }) : null;
    this.queue = [];
    this.flushing = null;
    this.history = null;
  },
  started(this: This) {
    this.history = replayHistory(this.broker, this.runtime.feed, this.logger, { decisions: 10_000, barsBefore: 200 }).catch((e: unknown) =>
      this.logger.warn(`knowledge-synthesis: history not replayed: ${(e as Error).message}`),
    );
  },
  async stopped(this: This) {
    await this.history;
    await this.flushing;
    await this.mirror?.close();
  },
};

export default KnowledgeSynthesisService;
