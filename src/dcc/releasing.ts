// Maps and sets for what is briefly in flight (a request, a post, a job) inside something that lives long
// (the gateway's socket watchers, the outbox, the posting thread, the prevalidation pool).
//
// Why not a plain Map: when V8 rehashes a Map's or Set's table (every few adds once deletes have piled up), the
// retired table keeps its entries and a pointer to the new one, and a long-lived collection's tables live in
// the old generation, where young-generation collections take what they point to as alive. So every value that
// was in the collection at a rehash outlived young collections until the next full one: under the read load
// ~15 kB a request (the closure of a request's handler and all it held), promoted at every scavenge and then
// collected (bench/measurements.md, "a long-lived Map keeps what it held"). These keep the values in an array
// of slots, emptied on delete, and a table of keys to slot numbers: a retired table holds only those.

/** A Map whose values are let go when deleted (keys are primitives: a retired table still holds them). */
export class ReleasingMap<K extends number | string, V> {
  // the table maps a key to its value's slot; a retired table holds only keys and slot numbers
  private readonly slotOf = new Map<K, number>();
  private readonly slots: (V | undefined)[] = [];
  private readonly free: number[] = [];

  get size(): number {
    return this.slotOf.size;
  }

  set(key: K, value: V): this {
    const at = this.slotOf.get(key);
    if (at !== undefined) this.slots[at] = value;
    else {
      const slot = this.free.pop() ?? this.slots.length;
      this.slots[slot] = value;
      this.slotOf.set(key, slot);
    }
    return this;
  }

  get(key: K): V | undefined {
    const at = this.slotOf.get(key);
    return at === undefined ? undefined : this.slots[at];
  }

  has(key: K): boolean {
    return this.slotOf.has(key);
  }

  delete(key: K): boolean {
    const at = this.slotOf.get(key);
    if (at === undefined) return false;
    this.slots[at] = undefined;
    this.free.push(at);
    return this.slotOf.delete(key);
  }

  /** The values in insertion order, as an array (safe to change the map while going through it). */
  values(): V[] {
    const out: V[] = [];
    for (const at of this.slotOf.values()) out.push(this.slots[at] as V);
    return out;
  }

  clear(): void {
    this.slotOf.clear();
    this.slots.length = 0;
    this.free.length = 0;
  }
}

/** A set of values, each added under a ticket it is deleted by (the value itself is not a key a retired table could keep). */
export class ReleasingSet<V> {
  private readonly byTicket = new ReleasingMap<number, V>();
  private lastTicket = 0;

  get size(): number {
    return this.byTicket.size;
  }

  /** Adds `value`; returns the ticket to delete it with. */
  add(value: V): number {
    const ticket = ++this.lastTicket;
    this.byTicket.set(ticket, value);
    return ticket;
  }

  delete(ticket: number): boolean {
    return this.byTicket.delete(ticket);
  }

  values(): V[] {
    return this.byTicket.values();
  }

  clear(): void {
    this.byTicket.clear();
  }
}
