/**
 * Objects of strings (labels, localities) by content: the first object seen with some names and
 * values, for every later object with the same names and values in the same order. A mesh's
 * instances repeat a handful of them hundreds of thousands of times, and sharing one object per
 * content is what keeps their copies from living on.
 *
 * A lookup walks one level per property (a map by name, then a map by value), so it builds no key:
 * joining names and values into a string key per lookup cost more than the rest of reading a
 * services file's instances.
 */
export class StringRecords<T extends object> {
  private readonly root = new RecordNode<T>();

  /**
   * The object kept for `record`'s content, `record` itself the first time (or `make(record)` if
   * given); undefined when a property of `record` is not a string (it is not shared then).
   */
  share(
    record: Readonly<Record<string, unknown>>,
    make?: (record: Readonly<Record<string, string>>) => T,
  ): T | undefined {
    let node = this.root;
    for (const name in record) {
      const value = record[name];
      if (typeof value !== 'string') return undefined;
      node = node.child(name, value);
    }
    node.value ??= make ? make(record as Record<string, string>) : (record as T);
    return node.value;
  }
}

class RecordNode<T> {
  value: T | undefined;
  private children: Map<string, Map<string, RecordNode<T>>> | undefined;

  child(name: string, value: string): RecordNode<T> {
    this.children ??= new Map();
    let byValue = this.children.get(name);
    if (!byValue) {
      byValue = new Map();
      this.children.set(name, byValue);
    }
    let node = byValue.get(value);
    if (!node) {
      node = new RecordNode<T>();
      byValue.set(value, node);
    }
    return node;
  }
}
