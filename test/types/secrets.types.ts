// Type test (checked by `npm run typecheck`, not run): names come from the schema; unknown names do not compile.
import { typedSecrets } from '../../src/api/Secrets';

export const schema = {
  DB_PASSWORD: { format: String, default: null, sensitive: true },
  API_KEY: { format: 'secret', default: null, sensitive: true },
};

const secrets = typedSecrets<typeof schema>();
export const len: number = secrets.use('DB_PASSWORD', (v) => v.length);
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
