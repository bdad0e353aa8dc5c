import { encodeAzureName } from './encodeAzureName';
import { isLogicalName } from './isLogicalName';

/**
 * Decode an Azure Key Vault secret name written by {@link encodeAzureName} back to the full logical name.
 * Returns `undefined` for a name this library did not write: one with uppercase letters or other characters,
 * a dangling or unknown escape, a result that is no logical name, or a non-canonical spelling (decoding then encoding must give the same text, so
 * each logical name has exactly one Azure name).
 *
 * @example
 * ```ts
 * decodeAzureName('app--prod---3db-0password'); // 'app/prod/DB_PASSWORD'
 * decodeAzureName('Foreign-Name'); // undefined
 * ```
 */
export function decodeAzureName(azureName: string): string | undefined {
  let out = '';
  let upper = false;
  for (let i = 0; i < azureName.length; i++) {
    const c = azureName[i]!;
    if (c >= 'a' && c <= 'z') out += upper ? c.toUpperCase() : c;
    else if (c >= '0' && c <= '9') out += c;
    else if (c === '-') {
      const n = azureName[++i];
      if (n === undefined) return undefined;
      if (n >= 'a' && n <= 'z') out += upper ? n : n.toUpperCase();
      else if (n === '-') out += '/';
      else if (n === '0') out += '_';
      else if (n === '1') out += '.';
      else if (n === '2') out += '-';
      else if (n === '3') upper = !upper;
      else return undefined;
    } else return undefined;
  }
  if (!isLogicalName(out) || encodeAzureName(out) !== azureName) return undefined;
  return out;
}
