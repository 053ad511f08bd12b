/**
 * `plan2 flowchain bottlenecks|steps|chains`: FlowChain from the command line.
 *
 * Where the numbers come from (`--source`, default by environment):
 * - `cluster` (default when TRANSPORTER is set): the CLI joins the cluster as a
 *   broker client without services and asks the running `flowchain` service, as
 *   an operator. Live: includes the current, not yet stored, statistics bucket.
 * - `db` (default otherwise): reads the stored statistics (DATABASE_URL, or the
 *   embedded database in DATA_DIR, also while `npm start` serves it) and
 *   computes the same verdicts with the same code. Works with the platform down;
 *   lags by up to one statistics bucket (10 s), since only closed buckets are stored.
 */
import type { ServiceBroker } from 'moleculer';
import { config } from '../../config';
import { Viewer } from '../../flowchain/engine';
import { formatBottlenecks, formatStepTable } from '../../flowchain/format';
import { FlowChainRuntime } from '../../flowchain/runtime';
import { parseDuration } from '../../flowchain/stats';
import { closeDb, getMigratedDb } from '../../lib/storage/connect';
import { createBroker } from '../../runner';
import type { Bottleneck, ChainStats } from '../../types/flowchain';
import { CliCommand, flagNumber, flagString, parseArgs, UsageError } from '../command';

const USAGE = `Usage:
  plan2 flowchain bottlenecks [--chain NAME] [--window 5m] [--recent 60s] [--baseline 15m] [--factor 2] [--tenant ID] [--json]
  plan2 flowchain steps <chain> [--window 5m] [--tenant ID] [--json]
  plan2 flowchain chains [--json]

Options:
  --source cluster|db   ask the running flowchain service over TRANSPORTER (default when TRANSPORTER is set)
                        or read the stored statistics from the database (default otherwise)
  --namespace NS        Moleculer namespace of the cluster (default plan2)
  --tenant ID           one tenant's view instead of all tenants (operators' view)
  --json                print JSON instead of text

bottlenecks names, per chain, the step holding most of the critical path and any
step whose p99 over --recent exceeds its p99 over the --baseline before it by --factor.`;

interface Source {
  chains(): Promise<{ name: string; description: string; builtIn: boolean }[]>;
  stats(chain: string, window: string | undefined, tenant: string | undefined): Promise<ChainStats>;
  bottlenecks(q: { chain?: string; window?: string; recent?: string; baseline?: string; factor?: number; tenant?: string }): Promise<Bottleneck[]>;
  close(): Promise<void>;
}

const OPERATOR = { role: 'admin', tenantId: 'cli' };

async function clusterSource(namespace: string): Promise<Source> {
  const broker: ServiceBroker = createBroker(config(), { nodeID: `plan2-cli-${process.pid}`, namespace, logger: false });
  await broker.start();
  try {
    await broker.waitForServices(['flowchain'], 10_000);
  } catch {
    await broker.stop();
    throw new Error(`no flowchain service answers on ${config().transporter} (namespace ${namespace}); use --source db to read stored statistics`);
  }
  const opts = { meta: OPERATOR };
  return {
    async chains() {
      const r = await broker.call<{ items: { name: string; description: string; builtIn: boolean }[] }, object>('flowchain.chains', {}, opts);
      return r.items;
    },
    stats: (chain, window, tenant) => broker.call<ChainStats, object>('flowchain.stats', { name: chain, ...(window ? { window } : {}), ...(tenant ? { tenantId: tenant } : {}) }, opts),
    async bottlenecks(q) {
      const { tenant, ...rest } = q;
      const params = Object.fromEntries(Object.entries({ ...rest, tenantId: tenant }).filter(([, v]) => v !== undefined));
      const r = await broker.call<{ items: Bottleneck[] }, object>('flowchain.bottlenecks', params, opts);
      return r.items;
    },
    close: () => broker.stop(),
  };
}

function window(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const ms = parseDuration(v);
  if (ms === null) throw new UsageError(`--${name} must be a duration like 90s, 5m, 1h or 7d, got ${JSON.stringify(v)}`);
  return ms;
}

async function dbSource(): Promise<Source> {
  const rt = new FlowChainRuntime({ retentionDays: config().flowchainRetentionDays });
  rt.db = await getMigratedDb(config());
  await rt.loadDefinitions();
  const viewer = (tenant?: string): Viewer => ({ role: 'admin', tenantId: tenant ?? null });
  return {
    chains: async () => rt.engine.registry.list().map((d) => ({ name: d.name, description: d.description, builtIn: d.builtIn === true })),
    stats: (chain, w, tenant) => rt.chainStats(chain, viewer(tenant), window('window', w, rt.s.defaultWindowMs), Date.now()),
    bottlenecks: (q) =>
      rt.bottlenecks(
        viewer(q.tenant),
        Date.now(),
        { windowMs: window('window', q.window, rt.s.defaultWindowMs), recentMs: window('recent', q.recent, rt.s.recentMs), baselineMs: window('baseline', q.baseline, rt.s.baselineMs) },
        { ...rt.bottleneckOptions, ...(q.factor !== undefined ? { slowFactor: q.factor } : {}) },
        q.chain ? [rt.engine.registry.get(q.chain).name] : undefined,
      ),
    close: () => closeDb(),
  };
}

const command: CliCommand = {
  name: 'flowchain',
  summary: 'FlowChain chains, step tables and bottlenecks (from the cluster or the stored statistics)',
  usage: USAGE,
  async run(argv) {
    const p = parseArgs(argv, ['json']);
    const [sub, arg] = p.positional;
    const json = p.flags.json === true;
    const sourceName = flagString(p, 'source') ?? (config().transporter ? 'cluster' : 'db');
    if (sourceName !== 'cluster' && sourceName !== 'db') throw new UsageError('--source must be cluster or db');
    if (sourceName === 'cluster' && !config().transporter) throw new UsageError('--source cluster needs TRANSPORTER (nats://…)');
    if (!sub || !['bottlenecks', 'steps', 'chains'].includes(sub)) throw new UsageError(`expected bottlenecks, steps or chains\n\n${USAGE}`);
    if (sub === 'steps' && !arg) throw new UsageError('steps needs a chain name, e.g. plan2 flowchain steps AI_Decision');
    const tenant = flagString(p, 'tenant');
    const win = flagString(p, 'window');
    window('window', win, 1); // reject a bad window before connecting anywhere
    const factor = p.flags.factor === undefined ? undefined : flagNumber(p, 'factor', 2);
    if (factor !== undefined && !(factor >= 1)) throw new UsageError('--factor must be ≥ 1');
    const source = sourceName === 'cluster' ? await clusterSource(flagString(p, 'namespace') ?? 'plan2') : await dbSource();
    try {
      let out: unknown;
      let text: string;
      if (sub === 'chains') {
        out = await source.chains();
        text = (out as { name: string; description: string; builtIn: boolean }[]).map((c) => `${c.name}${c.builtIn ? '' : ' (added)'} — ${c.description}`).join('\n');
      } else if (sub === 'steps') {
        out = await source.stats(arg, win, tenant);
        text = formatStepTable(out as ChainStats);
      } else {
        out = await source.bottlenecks({ chain: arg ?? flagString(p, 'chain'), window: win, recent: flagString(p, 'recent'), baseline: flagString(p, 'baseline'), factor, tenant });
        text = formatBottlenecks(out as Bottleneck[]);
      }
      process.stdout.write((json ? JSON.stringify(out, null, 2) : text) + '\n');
      return 0;
    } finally {
      await source.close();
    }
  },
};

export default command;
