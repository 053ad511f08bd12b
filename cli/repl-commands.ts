/**
 * Plan2's custom REPL commands, one or more per domain service. Each prints with
 * the REPL's `table` helper. Domain folders may add a `repl.ts` exporting
 * `replCommands`; they are collected here.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ServiceBroker } from 'moleculer';
import { CODE_EXT, CODE_ROOT } from '../paths';

export interface ReplHelpers {
  table: (rows: unknown[][], opts?: unknown) => string;
}

export interface ReplCommand {
  command: string;
  description: string;
  alias?: string[];
  options?: { option: string; description: string }[];
  action(broker: ServiceBroker, args: Record<string, unknown> & { options?: Record<string, unknown> }, helpers: ReplHelpers): Promise<void>;
}

function print(s: string): void {
  process.stdout.write(s + '\n');
}

const builtins: ReplCommand[] = [
  {
    command: 'tenants',
    description: 'List tenants (needs an operator meta; runs as admin in the REPL)',
    async action(broker, _args, { table }) {
      const r = await broker.call<{ items: { id: string; name: string; tier: string }[] }, object>('users.listTenants', {}, { meta: { tenantId: 'repl', role: 'admin' } });
      print(table([['id', 'tier', 'name'], ...r.items.map((t) => [t.id, t.tier, t.name])]));
    },
  },
  {
    command: 'feed',
    description: 'Market feed status: sources, symbols, ticks/s, drops',
    async action(broker) {
      print(JSON.stringify(await broker.call('market-data.status', {}), null, 2));
    },
  },
  {
    command: 'candles <symbol> [tf]',
    description: 'Last 10 candles of a symbol (tf default M1)',
    async action(broker, args, { table }) {
      const r = await broker.call<{ items: { t: number; o: number; h: number; l: number; c: number; n: number }[] }, object>('market-data.candles', { symbol: String(args.symbol), tf: String(args.tf ?? 'M1'), limit: 10 });
      print(table([['time (UTC)', 'open', 'high', 'low', 'close', 'ticks'], ...r.items.map((c) => [new Date(c.t).toISOString(), c.o, c.h, c.l, c.c, c.n])]));
    },
  },
  {
    command: 'health',
    description: 'Dependencies of this cluster as /health reports them',
    async action(broker) {
      print(JSON.stringify(await broker.call('api.health', {}), null, 2));
    },
  },
];

/** Built-in commands plus those exported by `<domain>/repl` modules. */
export function replCommands(): ReplCommand[] {
  const out = [...builtins];
  for (const dir of ['flowchain', 'mt5-gateway', 'services/consensus', 'services/trading', 'services/risk', 'services/indicators']) {
    const f = path.join(CODE_ROOT, dir, 'repl' + CODE_EXT);
    if (!fs.existsSync(f)) continue;
    const mod = require(f) as { replCommands?: ReplCommand[]; default?: ReplCommand | ReplCommand[] };
    const found = mod.replCommands ?? (Array.isArray(mod.default) ? mod.default : mod.default ? [mod.default] : []);
    out.push(...found);
  }
  return out;
}
