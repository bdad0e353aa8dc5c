import { inspect } from 'node:util';

/** What replaces a value (or a part of one) in a message. */
export const REDACTED = '[redacted]';

// Marks a redacted span while redacting (pieces never contain control characters, so they cannot match across a
// mark); every run of marks becomes REDACTED at the end.
const MARK = '\u0000';
// Splits a value into the pieces an encoder leaves verbatim: JSON.stringify and util.inspect escape control
// characters (C0, DEL, C1), quotes and backslashes; U+FFFD stands for bytes that were not UTF-8.
// eslint-disable-next-line no-control-regex -- control characters are what this matches
const CONTROL = /[\u0000-\u001f\u007f-\u009f\ufffd]+/;
const ESCAPED = /["'`\\]+/;
const LINE = /\r\n|\n|\r/;

const byteLength = (s: string) => Buffer.byteLength(s, 'utf8');

/**
 * Remove every copy of the given values from a message a validator produced, before anything splits the
 * message into lines or prints it:
 *
 * 1. Whole values, as they are and as `JSON.stringify` and `util.inspect` write them (echoed, quoted, encoded).
 * 2. Each line of a value (also trimmed, JSON- and inspect-encoded), and each part of a line between control
 *    characters, quotes or backslashes, longer than 3 bytes: what a validator that echoes part of a value, or an
 *    encoder that escapes some characters, would leave.
 * 3. Values of up to 3 bytes only as whole words (a one-letter value must not mangle the message's words).
 * Any NUL left over (a value's byte that no form matched) is redacted too. Use {@link toOneLine} on the parts
 * of the result before printing them, and {@link quotesValue} on what will be printed: an encoder these forms do
 * not foresee can still leave pieces of the value between the redactions.
 *
 * @example
 * ```ts
 * redactValues('got "ab\\ncd"', ['ab\ncd']); // 'got "[redacted]"'
 * ```
 */
export function redactValues(message: string, values: readonly string[]): string {
  let out = message;
  const forms = new Set<string>();
  const shortValues: string[] = [];
  for (const value of values) {
    if (value.length === 0) continue;
    if (byteLength(value) <= 3) {
      shortValues.push(value);
      continue;
    }
    // 1.
    forms.add(value);
    forms.add(JSON.stringify(value).slice(1, -1));
    forms.add(inspect(value, { breakLength: Infinity, maxStringLength: Infinity }).slice(1, -1));
    // With its defaults, util.inspect writes a long value with line breaks one quoted line at a time
    // (`'a\n' +\n  'b'`) and cuts it at 10,000 characters.
    forms.add(inspect(value));
    // 2.
    for (const line of value.split(LINE)) {
      forms.add(line);
      forms.add(line.trim());
      forms.add(JSON.stringify(line).slice(1, -1));
      forms.add(inspect(line, { breakLength: Infinity, maxStringLength: Infinity }).slice(1, -1));
      for (const part of line.split(CONTROL)) {
        forms.add(part);
        for (const inner of part.split(ESCAPED)) forms.add(inner);
      }
    }
  }
  // Longest first, so a whole value is replaced before its parts.
  const ordered = [...forms].filter((f) => byteLength(f) > 3).sort((a, b) => b.length - a.length);
  for (const form of ordered) if (out.includes(form)) out = out.split(form).join(MARK);
  // 3.
  for (const value of shortValues) {
    const escaped = value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    out = out.replace(new RegExp(`(?<![A-Za-z0-9])${escaped}(?![A-Za-z0-9])`, 'gu'), MARK);
  }
  // eslint-disable-next-line no-control-regex -- control characters are what this matches
  return out.replace(/\u0000+/g, REDACTED);
}

/** What a validator's message becomes when redacting it left a piece of the value in it ({@link quotesValue}). */
export const WITHHELD = "the value was refused; the validator's message was withheld because it quoted the value";

/**
 * The pieces of values that no printed message may contain: each value, each of its lines, and each part of a
 * line between control characters, longer than 3 bytes; each as it is, and as `JSON.stringify` and
 * `util.inspect` write it. Compute once for the values of a snapshot and pass to {@link quotesValue}.
 */
export function piecesOf(values: readonly string[]): string[] {
  const pieces = new Set<string>();
  for (const value of new Set(values)) {
    if (byteLength(value) <= 3) continue;
    pieces.add(value);
    for (const line of value.split(LINE)) {
      pieces.add(line);
      for (const part of line.split(CONTROL)) pieces.add(part);
    }
  }
  const encoded = new Set<string>();
  for (const piece of pieces) {
    if (byteLength(piece) <= 3) continue;
    encoded.add(piece);
    encoded.add(JSON.stringify(piece).slice(1, -1));
    encoded.add(inspect(piece, { breakLength: Infinity, maxStringLength: Infinity }).slice(1, -1));
  }
  return [...encoded].filter((p) => byteLength(p) > 3);
}

/**
 * Whether a redacted message still contains a piece of a value ({@link piecesOf}). `[redacted]` is read as the
 * NUL it stands for, so a line of a value that starts or ends with a control character is found where only
 * that character was redacted. A message for which this is true is not printed; print {@link WITHHELD}.
 *
 * @example
 * ```ts
 * quotesValue('bad \\x01[redacted]', piecesOf(['\u0000abc'])); // false
 * quotesValue('bad [redacted]abc', piecesOf(['\u0000abc'])); // true
 * ```
 */
export function quotesValue(message: string, pieces: readonly string[]): boolean {
  const marked = message.split(REDACTED).join(MARK);
  return pieces.some((p) => marked.includes(p));
}

/** A message as one printable line: control characters become spaces; capped at `max` characters. */
export function toOneLine(message: string, max = 1000): string {
  // eslint-disable-next-line no-control-regex -- control characters are what this matches
  const line = message.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max)}...` : line;
}
