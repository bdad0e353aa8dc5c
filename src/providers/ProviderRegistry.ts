import { ConfigError } from '../errors/ConfigError';
import type { ProviderClient, ProviderDeps, ProviderFactory } from './Provider';

/**
 * An explicit map from URI scheme to provider factory. Registering a scheme twice is an error.
 * Factories are registered lazily by module path so an SDK is loaded only when its scheme is used.
 *
 * @example
 * ```ts
 * const registry = ProviderRegistry.withBuiltins();
 * const client = await registry.create(new URL('aws://us-east-1/app/'));
 * ```
 */
export class ProviderRegistry {
  readonly #loaders = new Map<string, () => ProviderFactory>();

  /** Register a factory (or a function that loads it on first use) for its schemes. */
  register(schemes: readonly string[], load: ProviderFactory | (() => ProviderFactory)): this {
    const loader = typeof load === 'function' ? load : () => load;
    for (const scheme of schemes) {
      const key = normalise(scheme);
      if (this.#loaders.has(key)) throw new ConfigError(`Provider scheme "${key}:" is registered twice; register each scheme once.`);
      this.#loaders.set(key, once(loader));
    }
    return this;
  }

  has(scheme: string): boolean {
    return this.#loaders.has(normalise(scheme));
  }

  schemes(): string[] {
    return [...this.#loaders.keys()];
  }

  /** The factory for a URI's scheme; loads its module on first use. */
  factoryFor(uri: URL): ProviderFactory {
    const loader = this.#loaders.get(normalise(uri.protocol));
    if (!loader) {
      throw new ConfigError(`Unknown secrets source scheme "${uri.protocol}". Known: file: (a mount, or an absolute or ./relative path), env: (development only), ${this.schemes().map((s) => s + ':').join(', ')}.`);
    }
    return loader();
  }

  /** Parse, validate and create an authenticated client for a URI. */
  async create(uri: URL, deps: ProviderDeps = {}): Promise<ProviderClient> {
    const factory = this.factoryFor(uri);
    const config = factory.parse(uri, deps.env ?? process.env);
    return factory.create(config, deps);
  }

  /** A registry with the built-in providers (aws, vault/openbao, azure), each loaded only when used. */
  static withBuiltins(): ProviderRegistry {
    return new ProviderRegistry()
      .register(['aws'], () => (require('./aws/awsProviderFactory') as { awsProviderFactory: ProviderFactory }).awsProviderFactory)
      .register(['vault', 'openbao'], () => (require('./vault/vaultProviderFactory') as { vaultProviderFactory: ProviderFactory }).vaultProviderFactory)
      .register(['azure'], () => (require('./azure/azureProviderFactory') as { azureProviderFactory: ProviderFactory }).azureProviderFactory);
  }
}

function normalise(scheme: string): string {
  return scheme.replace(/:$/, '').toLowerCase();
}

function once<T>(fn: () => T): () => T {
  let done = false;
  let value: T;
  return () => {
    if (!done) {
      value = fn();
      done = true;
    }
    return value;
  };
}
