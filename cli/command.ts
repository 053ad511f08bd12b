/**
 * A `plan2` sub-command. Each file in cli/commands/ default-exports one; `plan2`
 * discovers them, so adding a command never edits a shared list.
 */
export interface CliCommand {
  /** Name as typed: `indicators`, `tenants`, `mt5`. */
  name: string;
  /** One line for `plan2 --help`. */
  summary: string;
  /** Full usage text for `plan2 <name> --help`. */
  usage: string;
  /** Runs the command; returns the exit code. Throw `UsageError` for bad arguments (exit 2). */
  run(argv: string[]): Promise<number>;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface ParsedArgs {
  positional: string[];
  flags: Record<string, string | boolean>;
}

/**
 * Minimal GNU-style parser: `--key value`, `--key=value`, boolean `--flag`.
 * `booleans` lists flags that never take a value.
 */
export function parseArgs(argv: string[], booleans: string[] = []): ParsedArgs {
  const positional: string[] = [];
  const flags: Record<string, string | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      if (eq > 0) {
        flags[a.slice(2, eq)] = a.slice(eq + 1);
      } else {
        const key = a.slice(2);
        const next = argv[i + 1];
        if (booleans.includes(key) || next === undefined || next.startsWith('--')) flags[key] = true;
        else {
          flags[key] = next;
          i++;
        }
      }
    } else positional.push(a);
  }
  return { positional, flags };
}

/** A string flag or undefined; a bare `--flag` without value is a usage error. */
export function flagString(p: ParsedArgs, name: string): string | undefined {
  const v = p.flags[name];
  if (v === undefined) return undefined;
  if (v === true) throw new UsageError(`--${name} needs a value`);
  return v as string;
}

/** A finite number flag with a default. */
export function flagNumber(p: ParsedArgs, name: string, dflt: number): number {
  const v = flagString(p, name);
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got ${JSON.stringify(v)}`);
  return n;
}
