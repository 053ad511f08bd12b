/**
 * Asking agents that live on other nodes through their node's `agent-host`
 * (mixins/agent-host.ts): the agents one decision asks on one node go in one
 * `agent-host.opine` call, collected while `gather` starts its calls (one microtask).
 *
 * Each agent still gets its own promise: an opinion resolves it, an agent's error rejects
 * it with that error's type and message (gather records `TYPE: message`, as for a direct
 * call), a failed host call rejects all of its agents, and an agent the host left out (it
 * was still thinking when the host's budget ran out) is left pending: gather's deadline
 * records it as abstained, exactly as it does an agent called on its own that is late.
 */
import type { HostResult } from '../../mixins/agent-host';
import type { Opinion } from '../../types/agents';

/** Sends one host call: the market-scoped and the tenant-scoped agents (ids) to ask on `node`. */
export type HostSend = (node: string, market: string[], tenant: string[]) => Promise<{ results: HostResult[] }>;

interface Group {
  node: string;
  agents: string[];
  tenant: boolean[];
  waiters: { resolve(o: Opinion): void; reject(e: unknown): void }[];
}

export class HostBatch {
  private groups = new Map<string, Group>();
  private scheduled = false;
  /** Host calls sent (for tests and the benchmark). */
  calls = 0;

  constructor(private readonly send: HostSend) {}

  ask(node: string, agent: string, tenant: boolean): Promise<Opinion> {
    let g = this.groups.get(node);
    if (!g) this.groups.set(node, (g = { node, agents: [], tenant: [], waiters: [] }));
    const group = g;
    return new Promise<Opinion>((resolve, reject) => {
      group.agents.push(agent);
      group.tenant.push(tenant);
      group.waiters.push({ resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        queueMicrotask(() => this.flush());
      }
    });
  }

  private flush(): void {
    const groups = [...this.groups.values()];
    this.groups = new Map();
    this.scheduled = false;
    for (const g of groups) {
      this.calls++;
      let sent: Promise<{ results: HostResult[] }>;
      try {
        sent = this.send(g.node, g.agents.filter((_, i) => !g.tenant[i]), g.agents.filter((_, i) => g.tenant[i]));
      } catch (e) {
        sent = Promise.reject(e);
      }
      sent.then(
        (r) => {
          const byAgent = new Map<string, HostResult>();
          for (const x of r?.results ?? []) byAgent.set(x.agent, x);
          g.agents.forEach((a, i) => {
            const x = byAgent.get(a);
            if (!x) return; // late at the host: left to gather's deadline
            if ('opinion' in x) g.waiters[i].resolve(x.opinion as Opinion);
            else g.waiters[i].reject(x.error);
          });
        },
        (e: unknown) => {
          for (const w of g.waiters) w.reject(e);
        },
      );
    }
  }
}
