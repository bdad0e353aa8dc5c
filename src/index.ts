/**
 * @valuecanvas/secrets — the app's entry point: small on purpose (the preload's `secrets`, typed names, errors).
 * Everything else has its own subpath so an app loads only what it uses:
 * `@valuecanvas/secrets/service`, `/audit`, `/access`, `/cache`, `/providers`, `/metrics`, `/manifests`, `/testing`.
 *
 * @example
 * ```ts
 * // node -r @valuecanvas/secrets/register app.js
 * import { config, secrets } from '@valuecanvas/secrets';
 * secrets.use('DB_PASSWORD', (password) => connect({ password }));
 * const port: number = config.get('SMTP_PORT'); // settings: typed, with defaults, never a secret
 * ```
 */
export { secrets, typedSecrets, type Register, type RegisteredName, type Secrets, type SecretsEventName, type SecretsRejectedEvent, type SecretsRotatedEvent } from './api/Secrets';
export type { DegradedEvent, RecoveredEvent } from './runtime/SecretsRuntime';
export { config, typedConfig, defineSchema, type Config, type ConfigPath, type ConfigValue, type RegisteredPath, type SettingValue } from './config/Config';
export * from './errors';
export type { SecretName, SecretProperty, SecretsSchema } from './schema/SecretsSchema';
export { SECRET_FORMATS } from './schema/SchemaValidator';
export { EXIT_CONFIG, EXIT_UNAVAILABLE } from './preload/exitCodes';
