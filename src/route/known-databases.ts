// The databases SHOW DATABASES lists beyond the routed ones: those created or written to since start.
// kinflux stores no databases; this only lets clients that check for a database before using it (the influx
// shell's `use`, python-influxdb's get_list_database) find the one they created. Bounded by count and bytes,
// because any client may name any number of databases.

export interface KnownDatabaseLimits {
  readonly maxNames: number;
  readonly maxBytes: number;
}

/** 1,000 names and 64 KiB of names: far above any real deployment's databases, small beside one request. */
export const KNOWN_DATABASE_LIMITS: KnownDatabaseLimits = { maxNames: 1000, maxBytes: 64 * 1024 };

export class KnownDatabases {
  // Insertion order is age: when full, the name seen first is forgotten first.
  private readonly names = new Map<string, number>();
  private bytes = 0;

  constructor(private readonly limits: KnownDatabaseLimits = KNOWN_DATABASE_LIMITS) {}

  note(name: string): void {
    if (name === '' || this.names.has(name)) return;
    const size = Buffer.byteLength(name);
    if (size > this.limits.maxBytes) return;
    while (this.names.size > 0 && (this.names.size >= this.limits.maxNames || this.bytes + size > this.limits.maxBytes)) {
      const [oldest, oldestSize] = this.names.entries().next().value as [string, number];
      this.names.delete(oldest);
      this.bytes -= oldestSize;
    }
    this.names.set(name, size);
    this.bytes += size;
  }

  forget(name: string): void {
    const size = this.names.get(name);
    if (size === undefined) return;
    this.names.delete(name);
    this.bytes -= size;
  }

  list(): string[] {
    return [...this.names.keys()];
  }

  get byteSize(): number {
    return this.bytes;
  }
}
