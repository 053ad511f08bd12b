/**
 * A FlowChain-only node for bench/flowchain.bench.ts, run as a child process
 * (the production layout: FlowChain on its own node, spans over NATS).
 * argv: <nats url> <namespace> <database url>. Prints "ready" on IPC, stops on "stop".
 */
import { loadConfig, setConfig } from '../config';
import FlowChainService from '../flowchain/flowchain.service';
import { closeDb } from '../lib/storage/connect';
import { createBroker } from '../runner';

async function main(): Promise<void> {
  const [nats, namespace, databaseUrl] = process.argv.slice(2);
  const cfg = setConfig(loadConfig({ TRANSPORTER: nats, DATABASE_URL: databaseUrl, LOG_LEVEL: 'error', NODE_ENV: 'production' }));
  const broker = createBroker(cfg, { namespace, nodeID: 'bench-flowchain-node' });
  broker.createService(FlowChainService);
  await broker.start();
  process.on('message', (m) => {
    if (m !== 'stop') return;
    broker
      .stop()
      .then(() => closeDb())
      .then(
        () => process.exit(0),
        () => process.exit(1),
      );
  });
  process.send?.('ready');
}

main().catch((e: unknown) => {
  process.stderr.write(String((e as Error).stack ?? e) + '\n');
  process.exit(1);
});
