import { describe, expect, it } from 'vitest';
import { ReleasingMap, ReleasingSet } from '../../src/dcc/index.ts';

// The collections the gateway, the outbox, the posting thread and the prevalidation pool keep what is in
// flight in (src/dcc/releasing.ts): they must behave as the Map and Set they replaced, slots reused and all,
// or a worker's answer would reach the wrong request. Why they exist is measured by bench/young-survivors.ts.

describe('ReleasingMap', () => {
  it('answers each key with its own value while slots are freed and reused', () => {
    const m = new ReleasingMap<number, string>();
    for (let i = 0; i < 100; i++) {
      m.set(i, `v${i}`);
      if (i >= 3) expect(m.delete(i - 3)).toBe(true);
    }
    expect(m.size).toBe(3);
    expect(m.values()).toEqual(['v97', 'v98', 'v99']);
    expect(m.get(96)).toBeUndefined();
    expect(m.has(96)).toBe(false);
    expect(m.delete(96)).toBe(false);
    expect(m.get(98)).toBe('v98');
    m.set(98, 'again');
    expect(m.values()).toEqual(['v97', 'again', 'v99']);
    m.set(1000, 'new');
    expect(m.get(1000)).toBe('new');
    expect(m.get(97)).toBe('v97');
    m.clear();
    expect(m.size).toBe(0);
    expect(m.get(99)).toBeUndefined();
    m.set(5, 'after clear');
    expect(m.values()).toEqual(['after clear']);
  });
});

describe('ReleasingSet', () => {
  it('deletes by the ticket add gave, and its values can be gone through while they are deleted', () => {
    const s = new ReleasingSet<() => string>();
    const calls: string[] = [];
    const tickets = ['a', 'b', 'c'].map((name) => s.add(() => name));
    expect(new Set(tickets).size).toBe(3);
    expect(s.delete(tickets[1]!)).toBe(true);
    expect(s.delete(tickets[1]!)).toBe(false);
    const d = s.add(() => 'd');
    // each call deleting itself, as a socket's watchers do when it closes
    const all = s.values();
    [tickets[0]!, tickets[2]!, d].forEach((t, i) => {
      calls.push(all[i]!());
      s.delete(t);
    });
    expect(calls).toEqual(['a', 'c', 'd']);
    expect(s.size).toBe(0);
  });
});
