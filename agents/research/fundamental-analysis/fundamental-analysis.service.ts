/** `agent.fundamental-analysis`: economic-calendar surprises, rate differentials, event windows (see fundamental-analysis.agent.ts). Entries come from the `calendar` service. */
import { createAgentMixin } from '../../../mixins/agent.mixin';
import { FundamentalAnalysisAgent } from './fundamental-analysis.agent';

export default {
  name: 'agent.fundamental-analysis',
  mixins: [createAgentMixin(() => new FundamentalAnalysisAgent())],
};
