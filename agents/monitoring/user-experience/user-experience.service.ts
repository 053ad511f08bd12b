/** `agent.user-experience` (tenant-scoped, advisory): per-tenant API latency and errors, notification volume (see user-experience.agent.ts). */
import { createAgentMixin } from '../../../mixins/agent.mixin';
import { UserExperienceAgent } from './user-experience.agent';

export default {
  name: 'agent.user-experience',
  mixins: [createAgentMixin(() => new UserExperienceAgent(), { clockMs: 5000 })],
};
