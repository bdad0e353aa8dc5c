/** The preload module: `--require @valuecanvas/secrets/register` (also a path to it, `.js` optional). */
const PRELOAD = /^(.*\/)?@valuecanvas\/secrets\/register(\.[cm]?js)?$/;

/** Whether node flags (NODE_OPTIONS words, or a command line) load the preload. */
export function hasPreloadFlag(words: readonly string[]): boolean {
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const eq = /^(--require|-r|--import)=(.*)$/.exec(w);
    if (eq && PRELOAD.test(eq[2]!)) return true;
    if ((w === '--require' || w === '-r' || w === '--import') && PRELOAD.test(words[i + 1] ?? '')) return true;
  }
  return false;
}

/** NODE_OPTIONS split as node splits it: on spaces, with double quotes grouping. */
export function splitNodeOptions(value: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(value)) !== null) out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]!);
  return out;
}
