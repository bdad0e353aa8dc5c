// Type test (checked by `npm run typecheck`, not run): names come from the schema; unknown names do not compile.
import { typedSecrets } from '../../src/api/Secrets';

export const schema = {
  DB_PASSWORD: { format: String, default: null, sensitive: true },
  API_KEY: { format: 'secret', default: null, sensitive: true },
};

const secrets = typedSecrets<typeof schema>();
export const len: number = secrets.use('DB_PASSWORD', (v) => v.length);
// An async callback: the lease lasts until its promise settles, and `use` returns that promise.
export const later: Promise<number> = secrets.use('DB_PASSWORD', async (v) => v.length);
export const both: Promise<boolean> = secrets.useVersions('API_KEY', async (current, previous) => current.equals(previous ?? Buffer.alloc(0)));
// @ts-expect-error an async callback's result is a promise, not its value
export const notAwaited: number = secrets.use('DB_PASSWORD', async (v) => v.length);
export const s: string = secrets.reveal('API_KEY');
export const v: string = secrets.version('DB_PASSWORD');
secrets.on('rotated', ({ names }) => {
  const n: ('DB_PASSWORD' | 'API_KEY')[] = names;
  return n;
});
// @ts-expect-error unknown secret name
secrets.use('DB_PASSWRD', () => 0);
// @ts-expect-error unknown secret name
secrets.reveal('NOPE');
// @ts-expect-error unknown secret name
secrets.version('api_key');
// @ts-expect-error unknown event
secrets.on('changed', () => undefined);
