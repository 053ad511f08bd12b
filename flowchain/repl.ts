/**
 * A moleculer-repl custom command: `flowchain <chain> [--window 5m] [--tenant id]`
 * prints the chain's step table (count, errors, p50/p95/p99, critical-path share,
 * top operation) from the running `flowchain` service, as an operator.
 * The REPL setup passes it in `customCommands`.
 */
import type { ServiceBroker } from 'moleculer';
import type { ChainStats } from '../types/flowchain';
import { formatStepTable } from './format';

export interface ReplArgs {
  chain?: string;
  options?: { window?: string; tenant?: string };
}

export const flowchainReplCommand = {
  command: 'flowchain <chain>',
  description: 'FlowChain step table of a chain (MT5_To_Database, AI_Decision, User_Workflow, …)',
  options: [
    { option: '-w, --window <window>', description: 'statistics window, e.g. 60s, 5m, 1h (default 5m)' },
    { option: '-t, --tenant <tenantId>', description: 'one tenant instead of all' },
  ],
  async action(broker: ServiceBroker, args: ReplArgs): Promise<void> {
    const stats = await broker.call<ChainStats, object>(
      'flowchain.stats',
      { name: args.chain, ...(args.options?.window ? { window: args.options.window } : {}), ...(args.options?.tenant ? { tenantId: args.options.tenant } : {}) },
      { meta: { role: 'admin', tenantId: 'repl' } },
    );
    console.log(formatStepTable(stats));
  },
};

export default flowchainReplCommand;
