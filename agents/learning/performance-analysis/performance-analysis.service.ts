/**
 * `agent.performance-analysis`: scores stored opinions against outcomes and publishes
 * reliabilities (`agents.reliability.updated`, persisted by consensus). REST
 * `GET /agents/performance`: per agent, per agent and symbol, per agent and regime.
 */
import type { Context } from 'moleculer';
import { AgentRuntime, createAgentMixin } from '../../../mixins/agent.mixin';
import { PerformanceAnalysisAgent } from './performance-analysis.agent';

export default {
  name: 'agent.performance-analysis',
  mixins: [createAgentMixin(() => new PerformanceAnalysisAgent())],
  settings: { rest: '/' },
  actions: {
    performance: {
      rest: 'GET /agents/performance',
      params: {},
      handler(this: { runtime: AgentRuntime }, _ctx: Context) {
        const a = this.runtime.agent as PerformanceAnalysisAgent;
        return { items: a.reliabilities(), bySymbol: a.breakdown('symbol'), byRegime: a.breakdown('regime') };
      },
    },
  },
};
