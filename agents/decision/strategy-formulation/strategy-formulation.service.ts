/** `agent.strategy-formulation`: scores trend-following, mean-reversion and breakout on the recent window and speaks for the best given the regime (see strategy-formulation.agent.ts). */
import { createAgentMixin } from '../../../mixins/agent.mixin';
import { StrategyFormulationAgent } from './strategy-formulation.agent';

export default {
  name: 'agent.strategy-formulation',
  mixins: [createAgentMixin(() => new StrategyFormulationAgent())],
};
