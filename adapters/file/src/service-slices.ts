/** Where one element of the services list is in the file's bytes: [start, end). */
export type Slice = readonly [start: number, end: number];

/**
 * Where each element of the `services` list is, in a services file written as JSON in the usual
 * shape, `{"services": [ … ]}` (any JSON whitespace between the parts); undefined for any other
 * file, which is then parsed whole.
 *
 * Each element is a JSON value of its own, so such a file can be read element by element: an
 * element whose bytes are the same as in the last valid version is the same service, unparsed;
 * only the others are decoded, parsed and checked. This finds where each element ends and checks
 * the bytes around the elements; whether each element is valid JSON is for JSON.parse to say. The
 * file is valid JSON exactly when every element is. It works on the UTF-8 bytes: every byte of a
 * multi-byte character is above 0x7f, so none is mistaken for a quote, a bracket or a comma, and
 * no element starts or ends inside a character.
 */
export function serviceSlices(bytes: Uint8Array): Slice[] | undefined {
  const scanner = new Scanner(bytes);
  if (!scanner.take('{') || !scanner.take('"services"') || !scanner.take(':') || !scanner.take('[')) {
    return undefined;
  }
  const slices: Slice[] = [];
  if (!scanner.take(']')) {
    for (;;) {
      const slice = scanner.value();
      if (slice === undefined) return undefined;
      slices.push(slice);
      if (scanner.take(']')) break;
      if (!scanner.take(',')) return undefined;
    }
  }
  return scanner.take('}') && scanner.atEnd() ? slices : undefined;
}

class Scanner {
  private at = 0;

  constructor(private readonly bytes: Uint8Array) {}

  /** Skips whitespace, then `token` (ASCII) if it comes next. */
  take(token: string): boolean {
    this.skipWhitespace();
    if (this.at + token.length > this.bytes.length) return false;
    for (let k = 0; k < token.length; k += 1) {
      if (this.bytes[this.at + k] !== token.charCodeAt(k)) return false;
    }
    this.at += token.length;
    return true;
  }

  atEnd(): boolean {
    this.skipWhitespace();
    return this.at === this.bytes.length;
  }

  /** Skips whitespace, then where the value that starts there must end. */
  value(): Slice | undefined {
    this.skipWhitespace();
    const { bytes } = this;
    const start = this.at;
    const first = bytes[start];
    let i = start;
    if (first === OPEN_BRACE || first === OPEN_BRACKET) {
      let depth = 0;
      for (; i < bytes.length; i += 1) {
        const c = bytes[i];
        if (c === QUOTE) i = endOfString(bytes, i) - 1;
        else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth += 1;
        else if ((c === CLOSE_BRACE || c === CLOSE_BRACKET) && (depth -= 1) === 0) break;
      }
      if (i >= bytes.length) return undefined;
      i += 1;
    } else if (first === QUOTE) {
      i = endOfString(bytes, start);
      if (i > bytes.length) return undefined;
    } else {
      // A number, true, false or null (or something else, which JSON.parse will refuse).
      while (i < bytes.length && !endsScalar(bytes[i] as number)) i += 1;
    }
    if (i === start) return undefined;
    this.at = i;
    return [start, i];
  }

  private skipWhitespace(): void {
    while (this.at < this.bytes.length && isWhitespace(this.bytes[this.at] as number)) this.at += 1;
  }
}

/**
 * The index just past the string starting at `start` (a quote); past the end if it never ends.
 * Strings are most of a services file's bytes: the next quote is found by the native search, and
 * is the end unless an odd number of backslashes escapes it.
 */
function endOfString(bytes: Uint8Array, start: number): number {
  for (let from = start + 1; ;) {
    const quote = bytes.indexOf(QUOTE, from);
    if (quote < 0) return bytes.length + 1;
    let backslashes = 0;
    while (bytes[quote - 1 - backslashes] === BACKSLASH) backslashes += 1;
    if (backslashes % 2 === 0) return quote + 1;
    from = quote + 1;
  }
}

/** JSON's whitespace: space, tab, line feed, carriage return. */
function isWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

function endsScalar(c: number): boolean {
  return c === COMMA || c === CLOSE_BRACKET || isWhitespace(c);
}

const BACKSLASH = 0x5c;
const QUOTE = 0x22;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
