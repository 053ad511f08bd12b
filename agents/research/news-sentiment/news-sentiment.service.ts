/** `agent.news-sentiment`: lexicon sentiment of `news.published` items per symbol (see news-sentiment.agent.ts). News comes in through the `news` service. */
import { createAgentMixin } from '../../../mixins/agent.mixin';
import { NewsSentimentAgent } from './news-sentiment.agent';

export default {
  name: 'agent.news-sentiment',
  mixins: [createAgentMixin(() => new NewsSentimentAgent())],
};
