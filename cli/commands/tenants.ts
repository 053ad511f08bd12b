import { isTier, TIERS } from '../../lib/billing/tiers';
import { createTenant, listTenants, setTenantTier } from '../../services/users/tenants';
import { flagString, parseArgs, UsageError, type CliCommand } from '../command';
import { withDb } from '../db-command';

const command: CliCommand = {
  name: 'tenants',
  summary: 'Create and list tenants, change their tier',
  usage: `Usage:
  plan2 tenants create <name> [--tier free|pro|enterprise] [--json]
  plan2 tenants list [--json]
  plan2 tenants tier <tenantId> <free|pro|enterprise>`,
  async run(argv) {
    const a = parseArgs(argv, ['json']);
    const [sub, ...rest] = a.positional;
    const json = a.flags.json === true;
    if (sub === 'create') {
      const name = rest.join(' ').trim();
      if (!name) throw new UsageError('tenants create needs a name');
      const tier = flagString(a, 'tier') ?? 'free';
      if (!isTier(tier)) throw new UsageError(`--tier must be one of ${TIERS.join(', ')}`);
      const t = await withDb((db) => createTenant(db, name, tier, 'cli'));
      process.stdout.write(json ? JSON.stringify(t) + '\n' : `created tenant ${t.id} (${t.name}, ${t.tier})\n`);
      return 0;
    }
    if (sub === 'list') {
      const ts = await withDb((db) => listTenants(db));
      process.stdout.write(json ? JSON.stringify(ts) + '\n' : ts.map((t) => `${t.id}  ${t.tier.padEnd(10)}  ${t.name}`).join('\n') + '\n');
      return 0;
    }
    if (sub === 'tier') {
      const [id, tier] = rest;
      if (!id || !isTier(tier)) throw new UsageError(`tenants tier needs <tenantId> and one of ${TIERS.join(', ')}`);
      const t = await withDb((db) => setTenantTier(db, id, tier, 'cli'));
      process.stdout.write(`tenant ${t.id} is now ${t.tier}\n`);
      return 0;
    }
    throw new UsageError(`unknown sub-command '${sub ?? ''}'; use create, list or tier`);
  },
};

export default command;
