/**
 * Encode a full logical secret name (`<prefix><name>`, characters `[A-Za-z0-9_.-/]`) as an Azure Key Vault
 * secret name (characters `[0-9a-z-]`, always lowercase).
 *
 * Azure names are case-insensitive and allow only `0-9a-zA-Z-`, so case and the characters `/ _ . -` are
 * spelled with `-` as the escape character. The decoder keeps one state, the letter mode (lower at the start):
 *
 * | Azure text       | means                                                                  |
 * |------------------|------------------------------------------------------------------------|
 * | `a`-`z`          | that letter in the current mode (lower mode: `a`, upper mode: `A`)     |
 * | `0`-`9`          | that digit                                                             |
 * | `-a`-`-z`        | that letter in the *other* case (a one-letter shift)                   |
 * | `--`             | `/`                                                                    |
 * | `-0` `-1` `-2`   | `_` `.` `-`                                                            |
 * | `-3`             | switch the mode (emits nothing)                                        |
 *
 * The encoder writes a letter of the current case as is; for a letter of the other case it switches the mode
 * (`-3`) when the next letter has the same case too, and shifts just that letter (`-x`) otherwise. So
 * `DB_PASSWORD` becomes `-3db-0password`, `MyName` becomes `-my-name`, `dir/A` becomes `dir---a`.
 *
 * Why it is injective: {@link decodeAzureName} reads the table above with the same mode the encoder tracked,
 * so `decode(encode(x)) === x` for every valid `x`; a function with a left inverse is injective. The output
 * never holds an uppercase letter, so two outputs that Azure compares case-insensitively as equal are equal,
 * and distinct logical names (`Ab` and `aB` included) always get distinct Azure names.
 *
 * The caller validates the input and the 127-character limit; this function only maps characters.
 *
 * @example
 * ```ts
 * encodeAzureName('app/prod/DB_PASSWORD'); // 'app--prod---3db-0password'
 * ```
 */
export function encodeAzureName(logical: string): string {
  let out = '';
  let upper = false;
  for (let i = 0; i < logical.length; i++) {
    const c = logical[i]!;
    if (c >= '0' && c <= '9') out += c;
    else if (c === '/') out += '--';
    else if (c === '_') out += '-0';
    else if (c === '.') out += '-1';
    else if (c === '-') out += '-2';
    else {
      const isUpper = c >= 'A' && c <= 'Z';
      const lower = c.toLowerCase();
      if (isUpper === upper) out += lower;
      else if (nextLetterIsUpper(logical, i + 1) === isUpper) {
        upper = isUpper;
        out += '-3' + lower;
      } else out += '-' + lower;
    }
  }
  return out;
}

/** Case of the next letter from `from` on (`undefined` when no letter follows). */
function nextLetterIsUpper(text: string, from: number): boolean | undefined {
  for (let j = from; j < text.length; j++) {
    const c = text[j]!;
    if (c >= 'A' && c <= 'Z') return true;
    if (c >= 'a' && c <= 'z') return false;
  }
  return undefined;
}
