/** `agent.knowledge-synthesis`: nearest past situations (VectorStore, exact k-NN) and what followed them; which agents agree (see knowledge-synthesis.agent.ts). */
import { createAgentMixin } from '../../../mixins/agent.mixin';
import { KnowledgeSynthesisAgent } from './knowledge-synthesis.agent';

export default {
  name: 'agent.knowledge-synthesis',
  mixins: [createAgentMixin(() => new KnowledgeSynthesisAgent())],
};
