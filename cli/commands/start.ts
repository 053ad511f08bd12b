/**
 * `plan2 start`: run this node's services (all by default). On embedded defaults
 * it also creates the demo tenant and prints where the dashboard and API are.
 * SIGTERM/SIGINT stop it gracefully (in-flight requests finish first).
 */
import * as path from 'node:path';
import { configOrExit } from '../../config';
import { getMigratedDb } from '../../lib/storage/connect';
import { createMt5Token } from '../../mt5-gateway/tokens';
import { ReplayHandle, startReplay } from '../../mt5-gateway/replay';
import { DATA_BUNDLE_DIR } from '../../paths';
import { startPlatform } from '../../runner';
import { ensureDemo } from '../../services/users/demo';
import type { CliCommand } from '../command';

const command: CliCommand = {
  name: 'start',
  summary: 'Start the platform (all services, or those chosen by SERVICES=)',
  usage: `Usage: plan2 start

Starts the services this node runs. With no environment, everything runs in one
process on embedded parts (PGlite in DATA_DIR, in-memory cache, local
transporter) and the bundled EURUSD day is replayed through the MT5 gateway.

Environment: TRANSPORTER, DATABASE_URL, REDIS_URL, CLICKHOUSE_URL, SERVICES,
NODE_ID, PORT (8000), MT5_PORT (8001), DATA_DIR (.plan2), LOG_LEVEL, REPLAY,
REPLAY_FILE, REPLAY_SPEED (see README).`,
  async run() {
    const t0 = Date.now();
    const cfg = configOrExit();
    const platform = await startPlatform(cfg);
    const { broker, services } = platform;
    let demo: Awaited<ReturnType<typeof ensureDemo>> | null = null;
    if (!cfg.databaseUrl && services.includes('users')) {
      const db = await getMigratedDb(cfg);
      demo = await ensureDemo(db, cfg.dataDir, async (tenantId) => (await createMt5Token(db, tenantId, 'demo replay')).token);
      // The demo tenant watches EURUSD M1 (the bundled replay) unless it already chose otherwise.
      if (services.includes('consensus')) await broker.call('consensus.watchlistSeed', { tenantId: demo.tenantId, items: [{ symbol: 'EURUSD', tf: 'M1' }] });
    }
    // The replay feed: on by default on embedded defaults (no TRANSPORTER), over the real MT5 wire.
    let replay: ReplayHandle | null = null;
    const replayOn = cfg.replay ?? !cfg.transporter;
    if (replayOn && services.includes('mt5-gateway') && demo?.mt5Token) {
      const gw = await broker.call<{ host: string; port: number }, object>('mt5-gateway.info', {});
      const file = cfg.replayFile ?? path.join(DATA_BUNDLE_DIR, 'lean', 'forex', 'oanda', 'tick', 'eurusd', '20140508_eurusd_tick_quote.csv');
      replay = startReplay({ file, symbol: 'EURUSD', speed: cfg.replaySpeed, loop: true, host: '127.0.0.1', port: gw.port, token: demo.mt5Token });
      replay.done.then(
        (st) => broker.logger.info('replay ended', { reason: st.reason, sent: st.sent }),
        (e: unknown) => broker.logger.error('replay failed', { error: String(e) }),
      );
    }
    const addr = services.includes('api') ? await broker.call<{ port: number } | null, object>('api.address', {}) : null;
    const lines = [`Plan2 started in ${Date.now() - t0} ms on node ${broker.nodeID}: ${services.length} services (${services.join(', ')})`];
    if (addr) {
      const base = `http://localhost:${addr.port}`;
      lines.push(`  Dashboard  ${base}/`, `  REST API   ${base}/api/v1   (OpenAPI: ${base}/api/openapi.json)`, `  Health     ${base}/health    Metrics: ${base}/metrics`);
    }
    if (demo) lines.push(`  Demo key   ${demo.apiKey}`, `  (tenant ${demo.tenantId}; saved in ${cfg.dataDir}/demo.json)`);
    // The key travels in the URL fragment, which the browser never sends to a server.
    if (demo && addr) lines.push(`  Sign in    http://localhost:${addr.port}/#key=${demo.apiKey}`);
    if (services.includes('mt5-gateway')) {
      const gw = await broker.call<{ port: number }, object>('mt5-gateway.info', {});
      lines.push(`  MT5 wire   tcp://localhost:${gw.port} (WebSocket ws://localhost:${gw.port}/mt5)${demo?.mt5Token ? `   token ${demo.mt5Token}` : ''}`);
    }
    if (replay) lines.push(`  Replay     ${replay.stats().file.split(path.sep).slice(-1)[0]} at ${cfg.replaySpeed}x, looping`);
    process.stdout.write(lines.join('\n') + '\n');

    return new Promise<number>((resolve) => {
      let stopping = false;
      const stop = (sig: string) => {
        if (stopping) return;
        stopping = true;
        broker.logger.info(`${sig} received, stopping`);
        replay?.stop();
        platform.stop().then(
          () => resolve(0),
          (e: unknown) => {
            process.stderr.write(`stop failed: ${String(e)}\n`);
            resolve(1);
          },
        );
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    });
  },
};

export default command;
