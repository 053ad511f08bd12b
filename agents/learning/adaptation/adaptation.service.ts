/** `agent.adaptation`: market regime (trending / ranging / volatile) from a Gaussian HMM; publishes `regime.changed` (see adaptation.agent.ts). */
import { createAgentMixin } from '../../../mixins/agent.mixin';
import { AdaptationAgent } from './adaptation.agent';

export default {
  name: 'agent.adaptation',
  mixins: [createAgentMixin(() => new AdaptationAgent())],
};
