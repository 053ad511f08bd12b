/** `agent.market-analysis`: trend and structure across timeframes (see market-analysis.agent.ts). */
import { createAgentMixin } from '../../../mixins/agent.mixin';
import { MarketAnalysisAgent } from './market-analysis.agent';

export default {
  name: 'agent.market-analysis',
  mixins: [createAgentMixin(() => new MarketAnalysisAgent())],
};
