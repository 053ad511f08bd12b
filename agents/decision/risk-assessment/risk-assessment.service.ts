/** `agent.risk-assessment` (tenant-scoped): volatility, VaR/ES of the would-be position, drawdown, event risk; leans to hold or vetoes (see risk-assessment.agent.ts). */
import { createAgentMixin } from '../../../mixins/agent.mixin';
import { RiskAssessmentAgent } from './risk-assessment.agent';

export default {
  name: 'agent.risk-assessment',
  mixins: [createAgentMixin(() => new RiskAssessmentAgent(), { portfolio: true })],
};
