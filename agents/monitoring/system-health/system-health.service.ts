/** `agent.system-health`: data freshness, candle gaps and event-loop delay; vetoes while degraded. REST `GET /system/health`. */
import type { Context } from 'moleculer';
import { AgentRuntime, createAgentMixin } from '../../../mixins/agent.mixin';
import { SystemHealthAgent } from './system-health.agent';

export default {
  name: 'agent.system-health',
  mixins: [createAgentMixin(() => new SystemHealthAgent())],
  settings: { rest: '/' },
  actions: {
    health: {
      rest: 'GET /system/health',
      params: {},
      handler(this: { runtime: AgentRuntime; broker: { nodeID: string } }, _ctx: Context) {
        const a = this.runtime.agent as SystemHealthAgent;
        const items = a.symbols().map((s) => a.report(s));
        return { status: items.some((i) => i.status !== 'ok') ? 'degraded' : 'ok', node: this.broker.nodeID, items, ...a.snapshot() };
      },
    },
  },
};
