/**
 * `plan2 repl` (`npm run repl`): a developer REPL (moleculer-repl). With
 * TRANSPORTER set it joins the running cluster as a node without services;
 * otherwise it starts the whole platform locally in this process.
 */
import { setConfig } from '../../config';
import { configOrExit } from '../../config';
import { createBroker, startPlatform } from '../../runner';
import { replCommands } from '../repl-commands';
import type { CliCommand } from '../command';

const command: CliCommand = {
  name: 'repl',
  summary: 'Developer REPL: join the cluster (TRANSPORTER) or start the platform locally',
  usage: `Usage: plan2 repl

Commands inside the REPL: the moleculer-repl set (call, emit, services, actions,
nodes, metrics, bench, …) plus Plan2's: tenants, feed, candles <symbol> [tf],
health, and those of domain services (flowchain, …). Type 'help'.`,
  async run() {
    const base = configOrExit();
    const replOptions = { delimiter: 'plan2 $', customCommands: replCommands() as never };
    if (base.transporter) {
      const cfg = setConfig({ ...base, nodeId: base.nodeId ?? `repl-${process.pid}` });
      const broker = createBroker(cfg, { replOptions });
      await broker.start();
      await broker.repl();
    } else {
      const p = await startPlatform(base, { replOptions });
      await p.broker.repl();
    }
    // The REPL owns the process from here; it exits on Ctrl+D / `quit`.
    return new Promise<number>(() => undefined);
  },
};

export default command;
