/** `agent.portfolio-optimization` (tenant-scoped): correlations across the tenant's symbols (GraphStore), diversification and mean-variance view on more exposure here (see portfolio-optimization.agent.ts). */
import { createAgentMixin } from '../../../mixins/agent.mixin';
import { PortfolioOptimizationAgent } from './portfolio-optimization.agent';

export default {
  name: 'agent.portfolio-optimization',
  mixins: [createAgentMixin(() => new PortfolioOptimizationAgent(), { portfolio: true })],
};
