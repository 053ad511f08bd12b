/** `plan2 mt5 token create|list|revoke`: terminal tokens for the MT5 gateway. */
import { configOrExit } from '../../config';
import { closeDb, getMigratedDb } from '../../lib/storage/connect';
import { createMt5Token, listMt5Tokens, revokeMt5Token } from '../../mt5-gateway/tokens';
import { CliCommand, flagString, parseArgs, UsageError } from '../command';

const usage = `Usage:
  plan2 mt5 token create --tenant <id> [--label <text>] [--login <n> --server <name>] [--json]
  plan2 mt5 token list   --tenant <id> [--json]
  plan2 mt5 token revoke --tenant <id> --id <token id>

Terminal tokens authenticate an EA's hello on the MT5 gateway (MT5_PORT, default 8001).
The token is printed once by "create" and never stored (only its hash). With
--login and --server the token accepts only that MT5 account; otherwise any
account of the tenant. Uses DATABASE_URL (or the embedded database in DATA_DIR).`;

function out(s: string): void {
  process.stdout.write(s + '\n');
}

const mt5: CliCommand = {
  name: 'mt5',
  summary: 'MT5 gateway terminal tokens (create, list, revoke)',
  usage,
  async run(argv) {
    const p = parseArgs(argv, ['json']);
    const [group, verb] = p.positional;
    if (group !== 'token' || !verb) throw new UsageError('expected "mt5 token create|list|revoke"');
    const tenant = flagString(p, 'tenant');
    if (!tenant) throw new UsageError('--tenant <id> is required');
    const json = p.flags.json === true;
    const cfg = configOrExit();
    const db = await getMigratedDb(cfg);
    try {
      if (verb === 'create') {
        const login = flagString(p, 'login');
        const server = flagString(p, 'server');
        if ((login === undefined) !== (server === undefined)) throw new UsageError('--login and --server go together');
        const t = await createMt5Token(db, tenant, flagString(p, 'label') ?? 'default', login !== undefined && server !== undefined ? { login, server } : undefined);
        if (json) out(JSON.stringify(t));
        else {
          out(t.token);
          process.stderr.write(`token ${t.id} for tenant ${t.tenantId}${t.login ? ` bound to ${t.login}@${t.server}` : ''}; shown once, store it in the EA's Token input\n`);
        }
        return 0;
      }
      if (verb === 'list') {
        const list = await listMt5Tokens(db, tenant);
        if (json) out(JSON.stringify(list));
        else for (const t of list) out(`${t.id}\t${t.label}\t${t.login ? `${t.login}@${t.server}` : 'any account'}\t${t.revokedAt ? 'revoked' : 'live'}\t${new Date(t.createdAt).toISOString()}`);
        return 0;
      }
      if (verb === 'revoke') {
        const id = flagString(p, 'id');
        if (!id) throw new UsageError('--id <token id> is required');
        const ok = await revokeMt5Token(db, tenant, id);
        process.stderr.write(ok ? `revoked ${id}\n` : `no live token ${id} for tenant ${tenant}\n`);
        return ok ? 0 : 1;
      }
      throw new UsageError(`unknown verb "${verb}"`);
    } finally {
      await closeDb();
    }
  },
};

export default mt5;
