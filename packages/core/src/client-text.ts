/**
 * Text a client controls (a URL, a node id, a NACK's error message, a header) as it may appear in
 * a log line or an error message: one line, bounded. Control characters (CR and LF above all, which
 * would let a client forge log lines or response headers; escape sequences, which a terminal would
 * act on) and the invisible characters that reorder text are written as escapes; what is past
 * `max` characters is cut and counted.
 */
export function clientText(text: string, max = CLIENT_TEXT_MAX): string {
  let kept = text.length > max ? text.slice(0, max) : text;
  // Never cut a surrogate pair in half: the half would be an unpaired (invalid) character.
  if (kept.length < text.length && isHighSurrogate(kept.charCodeAt(kept.length - 1)))
    kept = kept.slice(0, -1);
  const escaped = kept.replace(UNSAFE, escapeCharacter);
  const cut = text.length - kept.length;
  return cut > 0 ? `${escaped}… (${cut} more characters)` : escaped;
}

/** How much of a client's text a log line or an error message keeps. */
export const CLIENT_TEXT_MAX = 300;

// C0 controls and DEL, C1 controls, line and paragraph separators, bidirectional overrides and isolates.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeCharacter(character: string): string {
  return NAMED[character] ?? `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
