/** `agent.technical-indicator`: multi-timeframe RSI/MACD/BB/ADX/Stochastic read against the symbol's own recent distribution (see technical-indicator.agent.ts). */
import { createAgentMixin } from '../../../mixins/agent.mixin';
import { TechnicalIndicatorAgent } from './technical-indicator.agent';

export default {
  name: 'agent.technical-indicator',
  mixins: [createAgentMixin(() => new TechnicalIndicatorAgent())],
};
