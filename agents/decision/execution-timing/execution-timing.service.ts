/** `agent.execution-timing`: now or wait, from spread, volatility bursts, session liquidity and scheduled events (see execution-timing.agent.ts). */
import { createAgentMixin } from '../../../mixins/agent.mixin';
import { ExecutionTimingAgent } from './execution-timing.agent';

export default {
  name: 'agent.execution-timing',
  mixins: [createAgentMixin(() => new ExecutionTimingAgent())],
};
