// A small LRU whose entries expire: for lookups that may be a few seconds stale.

/** How stale the recency order may be, ms: an entry used within this time is not moved again. */
const REORDER_MS = 1_000;

export class TtlCache<T> {
  private readonly entries = new Map<string, { value: T; expires: number; used: number }>();

  constructor(
    readonly ttlMs = 5_000,
    readonly max = 1_000,
    private readonly now: () => number = Date.now,
  ) {}

  get(key: string): T | undefined {
    const hit = this.entries.get(key);
    if (!hit) return undefined;
    const now = this.now();
    if (hit.expires <= now) {
      this.entries.delete(key);
      return undefined;
    }
    // Most recently used last; moved at most once a second (a hot key is read thousands of
    // times a second, and moving it costs a delete and an insert each time).
    if (now - hit.used >= REORDER_MS) {
      hit.used = now;
      this.entries.delete(key);
      this.entries.set(key, hit);
    }
    return hit.value;
  }

  set(key: string, value: T): void {
    const now = this.now();
    this.entries.delete(key);
    this.entries.set(key, { value, expires: now + this.ttlMs, used: now });
    if (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value!);
  }

  clear(): void {
    this.entries.clear();
  }

  /** Drops every entry whose value matches (a revoked token's user, say). */
  deleteWhere(match: (value: T) => boolean): void {
    for (const [key, hit] of this.entries) if (match(hit.value)) this.entries.delete(key);
  }
}
