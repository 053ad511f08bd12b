/** REPL commands of the indicators service (collected by cli/repl-commands.ts). */
import type { ReplCommand } from '../../cli/repl-commands';
import type { Output } from '../../lib/indicators/types';
import type { ValuesResponse } from './indicators.service';

function cell(v: Output | null): string {
  if (v === null) return '—';
  if (typeof v === 'number') return String(Number(v.toPrecision(8)));
  return Object.entries(v)
    .map(([k, x]) => `${k}=${Number(x.toPrecision(8))}`)
    .join(' ');
}

export const replCommands: ReplCommand[] = [
  {
    command: 'indicators <symbol> [tf] [set]',
    description: 'Last 10 closed bars of live indicators (tf default M1, set default rsi:14,macd:12:26:9,bbands:20:2)',
    async action(broker, args, { table }) {
      const r = await broker.call<ValuesResponse, object>('indicators.values', { symbol: String(args.symbol), tf: String(args.tf ?? 'M1'), set: String(args.set ?? 'rsi:14,macd:12:26:9,bbands:20:2'), limit: 10 });
      process.stdout.write(table([['time (UTC)', ...r.set], ...r.items.map((i) => [i.iso, ...r.set.map((id) => cell(i.values[id] ?? null))])]) + '\n');
    },
  },
];
