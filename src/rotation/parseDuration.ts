const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * A duration of the stored policy form: an integer and a unit, `45s`, `90m`, `12h`, `30d`, `2w`. Undefined when
 * the text is not one.
 *
 * @example
 * ```ts
 * parseDuration('36h'); // 129600000
 * ```
 */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d{1,9})([smhdw])$/.exec(text);
  if (m === null) return undefined;
  const ms = Number(m[1]) * UNITS[m[2] as string]!;
  return Number.isSafeInteger(ms) ? ms : undefined;
}
