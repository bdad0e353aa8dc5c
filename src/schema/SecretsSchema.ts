/** A convict schema property as this library reads it (one top-level property = one secret). */
export interface SecretProperty {
  doc?: string;
  format?: unknown;
  default?: unknown;
  sensitive?: boolean;
  nullable?: boolean;
  /** Ignored: values never come from convict's own env/arg import (see the production guard). */
  env?: string;
  arg?: string;
  /** Providers: read this secret from the provider object named `from` instead of its own name. */
  from?: string;
  /** Providers: the object is a JSON object; take this top-level key (extracted without `JSON.parse`). */
  jsonKey?: string;
  /** Options of the `secret*` formats. */
  minBytes?: number;
  maxBytes?: number;
  [key: string]: unknown;
}

/** A convict schema object whose top-level keys are secret names. */
export type SecretsSchema = Record<string, SecretProperty>;

/** The secret names of a schema type, for typed APIs: `SecretName<typeof schema>`. */
export type SecretName<S> = Extract<keyof S, string>;
