// KeyTable: tag keys found by their bytes (hash table, or a Map past a long probe run), as a Map of their strings finds them.
import t from 'tap';
import { hash, KeyTable } from '../../../src/parse/otlp/key-table.js';

type T = [Uint8Array, number, number];
const tag = (k: string): T => {
  const b = Buffer.from(`..${k}..`);
  return [b, 2, b.length - 2];
};

t.test('dedupe by bytes: the index of a key added, -1 for others; the same with the table turned into a Map', async (t) => {
  let seed = 3;
  const rnd = (): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed / 0x7fffffff; };
  for (const maxProbe of [64, 1, 0]) {
    for (let round = 0; round < 20; round++) {
      const tags: T[] = [];
      const want = new Map<string, number>();
      const table = new KeyTable(tags, maxProbe);
      const n = Math.floor(rnd() * 3000);
      let wrong = 0;
      for (let i = 0; i < n; i++) {
        const k = rnd() < 0.3 ? `k${Math.floor(rnd() * 50)}` : `key.${Math.floor(rnd() * 100000)}é`;
        const at = table.find(...tag(k));
        if (at !== (want.get(k) ?? -1)) wrong++;
        if (at >= 0) tags[at] = tag(k); // a later tag of the key replaces it
        else { tags.push(tag(k)); want.set(k, tags.length - 1); table.add(tags.length - 1); }
      }
      for (const [k, i] of want) if (table.find(...tag(k)) !== i) wrong++;
      t.equal(wrong, 0, `maxProbe ${maxProbe}, ${n} keys: every find as the Map's`);
      t.equal(table.find(...tag('absent')), -1);
      t.same(KeyTable.of(tags, tags.length, maxProbe).find(...tag('k1')), want.get('k1') ?? -1);
    }
  }
});

// Review4 finding 2: FNV-1a's low bits depend only on the bytes' low bits, so in a 64-slot table the 32 keys made
// of '0' (0x30) and 'p' (0x70), which differ in bit 6 only, all took one slot: 2x the CPU of a request's dedupe.
t.test('keys differing only in high bits of their bytes spread over the slots', async (t) => {
  const slots = new Set<number>();
  for (let i = 0; i < 32; i++) {
    const k = Buffer.from(Array.from({ length: 5 }, (_, j) => ((i >> j) & 1 ? 0x70 : 0x30)));
    slots.add(hash(k, 0, k.length) & 63);
  }
  // 32 random slots of 64 take ~25 distinct ones; fewer than 12 is a one-in-billions draw.
  t.ok(slots.size >= 12, `${slots.size} distinct slots of 64 for 32 keys`);
});
