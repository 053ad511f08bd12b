import { CoalescedWriter } from '../../lib/util/coalesced-writer';

import { sleep, waitFor } from '../helpers/wait';

function writer(everyMs: number, fail?: (v: number[]) => boolean) {
  const written: number[][] = [];
  const errors: string[] = [];
  const w = new CoalescedWriter<number[]>({
    merge: (p, n) => [...(p ?? []), ...n],
    write: async (v) => {
      await sleep(5);
      if (fail?.(v)) throw new Error(`refused ${v.join(',')}`);
      written.push(v);
    },
    everyMs,
    onError: (e) => errors.push((e as Error).message),
  });
  return { w, written, errors };
}

describe('CoalescedWriter', () => {
  it('merges a burst into one write after the interval, then waits the interval again', async () => {
    const { w, written } = writer(150);
    const t0 = Date.now();
    for (let i = 1; i <= 100; i++) w.push([i]);
    expect(written).toEqual([]);
    await waitFor(() => written.length === 1, 5000, 5);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(145);
    expect(written[0]).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    const t1 = Date.now();
    w.push([101]);
    await waitFor(() => written.length === 2, 5000, 5);
    expect(Date.now() - t1).toBeGreaterThanOrEqual(145); // not before the interval
    expect(written[1]).toEqual([101]);
    expect(w.idle).toBe(true);
  });

  it('flush writes what is pending at once, after a write under way, in push order', async () => {
    const { w, written } = writer(10_000);
    w.push([1]);
    const first = w.flush();
    w.push([2]);
    w.push([3]);
    await w.flush();
    await first;
    expect(written).toEqual([[1], [2, 3]]);
    await w.flush(); // nothing pending: no write
    expect(written).toHaveLength(2);
  });

  it('reports a failed write and keeps writing later pushes', async () => {
    const { w, written, errors } = writer(10, (v) => v.includes(13));
    w.push([13]);
    await w.flush();
    expect(errors).toEqual(['refused 13']);
    w.push([14]);
    await waitFor(() => written.length === 1, 5000, 5);
    expect(written).toEqual([[14]]);
  });

  it('a push during a write is written one interval after that write', async () => {
    const { w, written } = writer(100);
    w.push([1]);
    const f = w.flush();
    w.push([2]); // while [1] is being written
    await f;
    const t = Date.now();
    expect(written).toEqual([[1]]);
    await waitFor(() => written.length === 2, 5000, 5);
    expect(Date.now() - t).toBeGreaterThanOrEqual(95);
    expect(written).toEqual([[1], [2]]);
  });
});
