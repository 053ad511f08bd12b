/** `plan2 replay <file>`: play a tick file into an MT5 gateway over the real wire, as an EA would. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { configOrExit } from '../../config';
import { startReplay, TickFileFormat } from '../../mt5-gateway/replay';
import { CliCommand, flagNumber, flagString, parseArgs, UsageError } from '../command';

const usage = `Usage: plan2 replay <file> [--symbol S] [--speed N] [--loop] [--host H] [--port P] [--token T]
                    [--login N] [--server NAME] [--format lean|histdata|csv] [--offset SEC]

Reads a tick file and plays it to the MT5 gateway over TCP exactly as an EA would:
hello, symbols, ticks with seq, pongs; it resumes after what the gateway already
stored (its backfill answer) and reconnects with backoff.

Formats (detected, or --format):
  lean      ms_since_midnight,bid,ask; date from the file name YYYYMMDD_…; UTC
  histdata  YYYYMMDD HHMMSSfff,bid,ask,vol; fixed UTC−5 (EST)
  csv       time,bid,ask with ISO-8601 times (with offset; none = UTC) or ms

Options:
  --symbol S     symbol to send (default: from the file name, e.g. eurusd → EURUSD)
  --speed N      data time runs N× wall time (default REPLAY_SPEED, 60 = one M1 candle a second);
                 0 = as fast as the wire allows
  --loop         start over at the end, times shifted forward by whole days
  --host, --port gateway address (default 127.0.0.1 and MT5_PORT)
  --token T      terminal token (plan2 mt5 token create); default: mt5Token in DATA_DIR/demo.json
  --login, --server  the account this feed claims to be (default 1000001@Plan2-Replay)
  --offset SEC   pretend the trade server is SEC seconds ahead of UTC (default 0)`;

/** The demo token the platform writes to DATA_DIR/demo.json, if any. */
function demoToken(dataDir: string): string | undefined {
  const file = path.join(dataDir, 'demo.json');
  if (!fs.existsSync(file)) return undefined;
  try {
    const j = JSON.parse(fs.readFileSync(file, 'utf8')) as { mt5Token?: unknown; mt5?: { token?: unknown } };
    const t = j.mt5Token ?? j.mt5?.token;
    return typeof t === 'string' ? t : undefined;
  } catch {
    return undefined;
  }
}

const replay: CliCommand = {
  name: 'replay',
  summary: 'Play a tick file (Lean, HistData, CSV) into the MT5 gateway over the real wire',
  usage,
  async run(argv) {
    const p = parseArgs(argv, ['loop']);
    const file = p.positional[0];
    if (!file) throw new UsageError('a tick file is required');
    if (!fs.existsSync(file)) throw new UsageError(`no such file: ${file}`);
    const cfg = configOrExit();
    const format = flagString(p, 'format');
    if (format !== undefined && !['lean', 'histdata', 'csv'].includes(format)) throw new UsageError('--format is lean, histdata or csv');
    const token = flagString(p, 'token') ?? demoToken(cfg.dataDir);
    if (!token) throw new UsageError(`--token is required (no mt5Token in ${path.join(cfg.dataDir, 'demo.json')})`);
    const speed = flagNumber(p, 'speed', cfg.replaySpeed);
    if (speed < 0) throw new UsageError('--speed must be ≥ 0');
    const ctl = new AbortController();
    const onSig = () => ctl.abort();
    process.once('SIGINT', onSig);
    process.once('SIGTERM', onSig);
    try {
      const h = startReplay({
        file,
        symbol: flagString(p, 'symbol'),
        speed,
        loop: p.flags.loop === true,
        host: flagString(p, 'host') ?? '127.0.0.1',
        port: flagNumber(p, 'port', cfg.mt5Port),
        token,
        login: flagString(p, 'login'),
        server: flagString(p, 'server'),
        serverOffsetSec: flagNumber(p, 'offset', 0),
        format: format as TickFileFormat | undefined,
        signal: ctl.signal,
        onEvent: (e) => {
          if (e.kind === 'error') process.stderr.write(`replay: gateway error ${e.code}: ${e.message}\n`);
          else if (e.kind === 'connected') process.stderr.write(`replay: connected (session ${e.session})\n`);
          else if (e.kind === 'resume' && e.from !== null) process.stderr.write(`replay: resuming after ${new Date(e.from).toISOString()}\n`);
          else if (e.kind === 'disconnected') process.stderr.write(`replay: disconnected; reconnecting in ${e.reconnectInMs} ms\n`);
          else if (e.kind === 'loop') process.stderr.write(`replay: loop ${e.loops}\n`);
        },
      });
      const progress = setInterval(() => {
        const s = h.stats();
        process.stderr.write(`replay: ${s.symbol} ${s.sent} ticks sent${s.lastTime ? `, at ${new Date(s.lastTime).toISOString()}` : ''}\n`);
      }, 5000);
      progress.unref();
      const s = await h.done;
      clearInterval(progress);
      process.stdout.write(JSON.stringify({ symbol: s.symbol, format: s.format, sent: s.sent, loops: s.loops, lastSeq: s.lastSeq, errors: s.errors, reason: s.reason }) + '\n');
      return s.reason?.startsWith('gateway refused') ? 1 : 0;
    } finally {
      process.off('SIGINT', onSig);
      process.off('SIGTERM', onSig);
    }
  },
};

export default replay;
