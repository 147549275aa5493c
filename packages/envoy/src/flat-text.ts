/**
 * `text` as one flat string. V8 builds long strings as ropes: JSON.stringify's result is a tree of
 * pieces (32-byte nodes, the pieces' own headers), and so is a key put together from a template.
 * Harmless for a moment; kept for as long as a cache keeps it, a rope costs a few hundred bytes
 * more than its characters, tens of thousands of times over in a large mesh. A copy through
 * UTF-8 is flat (and exact: JSON.stringify and keys never hold lone surrogates).
 */
export function flatText(text: string): string {
  return Buffer.from(text, 'utf8').toString('utf8');
}
