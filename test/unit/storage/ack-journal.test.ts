import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AckJournal } from '../../../lib/storage/ack-journal';

describe('AckJournal', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ackj-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('keeps records until each is confirmed, and empties the file when none is left', () => {
    const j = new AckJournal<{ id: number }>(dir, 'intake');
    j.append({ id: 1 });
    j.append({ id: 2 });
    expect(fs.readFileSync(j.file, 'utf8')).toBe('{"id":1}\n{"id":2}\n');
    j.confirmed();
    expect(j.pending).toBe(1);
    expect(fs.statSync(j.file).size).toBeGreaterThan(0); // one still unconfirmed: both lines stay
    j.confirmed();
    expect(fs.statSync(j.file).size).toBe(0);
    j.append({ id: 3 });
    expect(fs.readFileSync(j.file, 'utf8')).toBe('{"id":3}\n');
    j.confirmed();
    j.close();
    expect(fs.existsSync(j.file)).toBe(false);
  });

  it('orphans: files of processes that are gone, with a torn last line skipped; never a live process\'s', () => {
    const j = new AckJournal<{ id: number }>(dir, 'intake');
    j.append({ id: 9 });
    // A pid that is not running (far above pid_max on Linux), and one that is (this process's parent).
    fs.writeFileSync(path.join(dir, 'intake-99999999.jsonl'), '{"id":1}\n{"id":2}\n{"id":');
    fs.writeFileSync(path.join(dir, `intake-${process.ppid}.jsonl`), '{"id":7}\n');
    fs.writeFileSync(path.join(dir, 'other-99999999.jsonl'), '{"id":8}\n');
    const o = AckJournal.orphans<{ id: number }>(dir, 'intake');
    expect(o).toEqual([{ file: path.join(dir, 'intake-99999999.jsonl'), records: [{ id: 1 }, { id: 2 }] }]);
    expect(AckJournal.hasOrphans(dir, 'intake')).toBe(true);
    expect(AckJournal.hasOrphans(dir, 'nothing')).toBe(false);
    j.close();
    expect(fs.existsSync(j.file)).toBe(true); // closed with a record unconfirmed: kept for the next start
  });

  it('a non-empty file under this process\'s own pid (a container restarted as pid 1) is set aside and replayed, not emptied', () => {
    fs.writeFileSync(path.join(dir, `intake-${process.pid}.jsonl`), '{"id":5}\n');
    const j = new AckJournal<{ id: number }>(dir, 'intake');
    expect(fs.statSync(j.file).size).toBe(0);
    j.append({ id: 6 });
    j.confirmed();
    const o = AckJournal.orphans<{ id: number }>(dir, 'intake');
    expect(o.map((x) => x.records)).toEqual([[{ id: 5 }]]);
    expect(path.basename(o[0].file)).toMatch(/^intake-orphan-[\d-]+\.jsonl$/);
    j.close();
  });

  it('replay: stored records are counted, a refused one is dropped, a kept one is set aside for the next replay; a down database keeps the whole file', async () => {
    fs.writeFileSync(path.join(dir, 'intake-99999999.jsonl'), '{"id":1}\n{"id":2}\n{"id":3}\n{"id":4}\n');
    const refused: number[] = [];
    const later = new Error('no owner now');
    const store = async (r: { id: number }) => {
      if (r.id === 2) throw new Error('check violation');
      if (r.id === 3) throw later;
      if (r.id === 4) return false;
    };
    const on = { down: () => false, refused: (r: { id: number }) => void refused.push(r.id), keep: (_r: { id: number }, e: unknown) => e === later };
    expect(await AckJournal.replay(dir, 'intake', store, on)).toBe(2); // the stored one and the refused one (gone either way)
    expect(refused).toEqual([2]);
    expect(fs.existsSync(path.join(dir, 'intake-99999999.jsonl'))).toBe(false);
    const o = AckJournal.orphans<{ id: number }>(dir, 'intake');
    expect(o.map((x) => x.records)).toEqual([[{ id: 3 }]]);
    expect(path.basename(o[0].file)).toMatch(/^intake-orphan-[\d-]+\.jsonl$/);
    // The next replay finds it; now it is stored.
    expect(await AckJournal.replay(dir, 'intake', async () => undefined, on)).toBe(1);
    expect(AckJournal.orphans(dir, 'intake')).toEqual([]);
    // The database down: the error propagates and the file stays whole.
    fs.writeFileSync(path.join(dir, 'intake-99999998.jsonl'), '{"id":5}\n{"id":6}\n');
    const down = new Error('connection refused');
    await expect(AckJournal.replay(dir, 'intake', async (r: { id: number }) => { if (r.id === 6) throw down; }, { ...on, down: (e) => e === down })).rejects.toBe(down);
    expect(fs.readFileSync(path.join(dir, 'intake-99999998.jsonl'), 'utf8')).toBe('{"id":5}\n{"id":6}\n');
  });
});
