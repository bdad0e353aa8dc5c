/** Output helpers of the CLI: plain text for people (colour only on a TTY), JSON for machines. Never a value. */
export interface Out {
  readonly isJson: boolean;
  line(text?: string): void;
  json(value: unknown): void;
  error(text: string): void;
  ok(text: string): string;
  bad(text: string): string;
  warn(text: string): string;
}

export function createOut(options: { json?: boolean; stdout?: NodeJS.WriteStream; stderr?: NodeJS.WriteStream } = {}): Out {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const colour = Boolean(stdout.isTTY) && !process.env.NO_COLOR;
  const paint = (code: string) => (text: string) => (colour ? `\u001b[${code}m${text}\u001b[0m` : text);
  return {
    isJson: Boolean(options.json),
    line: (text = '') => void stdout.write(text + '\n'),
    json: (value) => void stdout.write(JSON.stringify(value, null, 2) + '\n'),
    error: (text) => void stderr.write(text + '\n'),
    ok: paint('32'),
    bad: paint('31'),
    warn: paint('33'),
  };
}
