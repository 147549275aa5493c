/** How many characters of a value a message shows by default. */
export const SHOWN_CHARACTERS = 60;

/**
 * A value as JSON for a message, at most `max` characters (longer ones end in `...`). It is cut
 * while it is serialised, not after: an input can be huge, deeply nested or, through YAML aliases,
 * exponentially large, and showing 60 characters of it must cost no more than those 60 characters.
 */
export function showValue(value: unknown, max = SHOWN_CHARACTERS): string {
  const parts: string[] = [];
  let length = 0;
  const full = (): boolean => length > max;
  const emit = (text: string): void => {
    parts.push(text);
    length += text.length;
  };
  // Every level emits a bracket before it descends, so the recursion is at most `max` deep.
  const write = (item: unknown): void => {
    if (full()) return;
    if (typeof item === 'string') {
      emit(JSON.stringify(item.length > max ? item.slice(0, max + 1) : item));
    } else if (Array.isArray(item)) {
      emit('[');
      for (let i = 0; i < item.length && !full(); i += 1) {
        if (i > 0) emit(',');
        const element: unknown = item[i];
        if (element === undefined) emit('null');
        else write(element);
      }
      emit(']');
    } else if (typeof item === 'object' && item !== null) {
      emit('{');
      let first = true;
      for (const key in item) {
        if (full()) break;
        if (!Object.prototype.hasOwnProperty.call(item, key)) continue;
        if (!first) emit(',');
        first = false;
        write(key);
        emit(':');
        write((item as Record<string, unknown>)[key]);
      }
      emit('}');
    } else {
      emit(JSON.stringify(item) ?? String(item));
    }
  };
  write(value);
  const text = parts.join('');
  return text.length > max ? `${text.slice(0, Math.max(0, max - 3))}...` : text;
}
