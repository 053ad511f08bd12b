/**
 * Child process for `bench/ingest.bench.ts` (`twoNodes` run): a second Moleculer
 * node running only `market-data`, reached over NATS, as `SERVICES=market-data`
 * would run it in production. argv: <DATABASE_URL> <NATS URL> <namespace>.
 */
import { setConfig } from '../config';
import { closeDb } from '../lib/storage/connect';
import { createBroker } from '../runner';
import MarketDataService from '../services/market-data/market-data.service';
import { testConfig } from '../test/helpers/infra';

async function main(): Promise<void> {
  const [databaseUrl, nats, namespace] = process.argv.slice(2);
  const cfg = setConfig(testConfig({ DATABASE_URL: databaseUrl, TRANSPORTER: nats, LOG_LEVEL: 'error', NODE_ID: `${namespace}-market-data` }));
  const broker = createBroker(cfg, { namespace });
  broker.createService(MarketDataService);
  await broker.start();
  process.send?.({ kind: 'ready' });
  process.on('message', (m: unknown) => {
    if (m !== 'stop') return;
    broker
      .stop()
      .then(() => closeDb())
      .then(
        () => process.exit(0),
        () => process.exit(1),
      );
  });
}

main().catch((e: unknown) => {
  process.stderr.write(String((e as Error).stack ?? e) + '\n');
  process.exit(1);
});
