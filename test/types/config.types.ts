// Type test (checked by `npm run typecheck`, not run): config.get infers each setting's type from the schema;
// misspelled names, wrong types and secrets do not compile.
import { defineSchema, typedConfig } from '../../src/config/Config';

export const schema = defineSchema({
  DB_PASSWORD: { format: String, default: null, sensitive: true },
  API_KEY: { format: 'secret-hex', default: null },
  SMTP_PORT: { format: 'port', default: 587, env: 'SMTP_PORT' },
  WORKERS: { format: 'nat', default: 4 },
  RATIO: { format: Number, default: 0.5 },
  DEBUG: { format: Boolean, default: false },
  LEVEL: { format: ['debug', 'info', 'warn'], default: 'info' },
  PUBLIC_URL: { format: 'url', default: 'http://localhost' },
  REGION: { doc: 'no format: the default gives the type', default: 'eu-west-1' },
  TAGS: { format: Array, default: ['a'] },
  PROXY: { format: String, default: null, nullable: true },
  db: { host: { format: String, default: 'localhost' }, pool: { max: { format: 'int', default: 10 }, idle: { default: true } } },
});

const config = typedConfig<typeof schema>();
export const port: number = config.get('SMTP_PORT');
export const workers: number = config.get('WORKERS');
export const ratio: number = config.get('RATIO');
export const debug: boolean = config.get('DEBUG');
export const level: 'debug' | 'info' | 'warn' = config.get('LEVEL');
export const url: string = config.get('PUBLIC_URL');
export const region: string = config.get('REGION');
export const tags: string[] = config.get('TAGS');
export const proxy: string | null = config.get('PROXY');
export const max: number = config.get('db.pool.max');
export const idle: boolean = config.get('db.pool.idle');
export const host: string = config.get('db.host');
export const pool: { max: number; idle: boolean } = config.get('db.pool');
export const all: { SMTP_PORT: number; db: { host: string } } = config.getProperties();

// @ts-expect-error misspelled setting
config.get('SMTP_PRT');
// @ts-expect-error misspelled nested setting
config.get('db.pool.maxx');
// @ts-expect-error wrong type: a port is a number
export const wrong: string = config.get('SMTP_PORT');
// @ts-expect-error wrong type: an enum is its union, not any string
export const wrongLevel: 'trace' = config.get('LEVEL');
// @ts-expect-error a secret never comes through config (sensitive: true)
config.get('DB_PASSWORD');
// @ts-expect-error a secret never comes through config (secret format)
config.get('API_KEY');
// @ts-expect-error nullable: false settings are never null
export const notNull: null = config.get('SMTP_PORT');
// @ts-expect-error secrets are not in getProperties()
export const noSecret = config.getProperties().DB_PASSWORD;

// Without defineSchema: literal formats widen to string, so types come from defaults; `sensitive: true` widens
// to boolean and still counts as a secret.
export const plain = { TOKEN: { format: String, default: null, sensitive: true }, SMTP_PORT: { format: 'port', default: 587 } };
const plainConfig = typedConfig<typeof plain>();
export const plainPort: number = plainConfig.get('SMTP_PORT');
// @ts-expect-error a widened sensitive flag is still a secret
plainConfig.get('TOKEN');
