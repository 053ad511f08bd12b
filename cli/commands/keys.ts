import { createApiKey, listApiKeys, revokeApiKey } from '../../services/users/tenants';
import { flagString, parseArgs, UsageError, type CliCommand } from '../command';
import { withDb } from '../db-command';

const command: CliCommand = {
  name: 'keys',
  summary: 'Create, list and revoke API keys of a tenant',
  usage: `Usage:
  plan2 keys create --tenant <id> [--name <label>] [--admin] [--json]   prints the key once
  plan2 keys list --tenant <id> [--json]
  plan2 keys revoke --tenant <id> <keyId>`,
  async run(argv) {
    const a = parseArgs(argv, ['json', 'admin']);
    const [sub, ...rest] = a.positional;
    const tenant = flagString(a, 'tenant');
    if (!tenant) throw new UsageError('--tenant <id> is required');
    const json = a.flags.json === true;
    if (sub === 'create') {
      const { key, info } = await withDb((db) => createApiKey(db, tenant, flagString(a, 'name') ?? 'default', a.flags.admin === true ? 'admin' : 'tenant', 'cli'));
      process.stdout.write(json ? JSON.stringify({ key, ...info }) + '\n' : `${key}\n(key ${info.id} of tenant ${tenant}; shown once, store it now)\n`);
      return 0;
    }
    if (sub === 'list') {
      const ks = await withDb((db) => listApiKeys(db, tenant));
      process.stdout.write(json ? JSON.stringify(ks) + '\n' : ks.map((k) => `${k.id}  ${k.role.padEnd(6)}  ${k.revokedAt ? 'revoked' : 'active '}  ${k.name}`).join('\n') + '\n');
      return 0;
    }
    if (sub === 'revoke') {
      const id = rest[0];
      if (!id) throw new UsageError('keys revoke needs a key id');
      await withDb((db) => revokeApiKey(db, tenant, id, 'cli'));
      process.stdout.write(`revoked key ${id}\n`);
      return 0;
    }
    throw new UsageError(`unknown sub-command '${sub ?? ''}'; use create, list or revoke`);
  },
};

export default command;
