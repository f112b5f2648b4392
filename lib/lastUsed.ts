/**
 * What a process derives again and again from the same text (a rendered patch, a parsed
 * inventory file, an add-on's manifest), kept by a string key for the last few keys
 * used. A Map keeps insertion order, so the key used longest ago is the first.
 */
export class LastUsed<T> {
  private readonly kept = new Map<string, T>();

  /** @param limit how many keys are kept */
  constructor(private readonly limit: number) {}

  /** The value kept for `key`, else what `make` returns, kept from now on. */
  get(key: string, make: () => T): T {
    let value = this.kept.get(key);
    if (value === undefined) {
      value = make();
      if (this.kept.size >= this.limit) this.kept.delete(this.kept.keys().next().value as string);
    } else {
      // Used again: it goes last, after the ones used since.
      this.kept.delete(key);
    }
    this.kept.set(key, value);
    return value;
  }
}
