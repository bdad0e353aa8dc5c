// @valuecanvas/secrets/postgres: rotation of PostgreSQL logins (single user, alternating users) and a pg pool that
// follows a rotating credential. Needs the `pg` package (an optional peer dependency).
export { postgresRotation, scramVerifier, type PgAdminOptions, type PgConnectionOptions, type PgModule, type PostgresRotation, type PostgresRotationOptions } from './postgresRotation';
export { RotatingPool, preloadCredentials, type PgCredentialSource, type PgPoolLike, type PreloadSecretsLike, type RotatingPoolOptions } from './RotatingPool';
export { VaultDatabaseCredentials, type VaultDatabaseCredentialsOptions } from './VaultDatabaseCredentials';
