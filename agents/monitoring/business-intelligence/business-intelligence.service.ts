/** `agent.business-intelligence` (advisory): active tenants, usage against plan allowances, decisions and orders (see business-intelligence.agent.ts). */
import { createAgentMixin } from '../../../mixins/agent.mixin';
import { BusinessIntelligenceAgent } from './business-intelligence.agent';

export default {
  name: 'agent.business-intelligence',
  mixins: [createAgentMixin(() => new BusinessIntelligenceAgent())],
};
