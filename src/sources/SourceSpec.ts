/** One entry of SECRETS_SOURCE, parsed. */
export type SourceSpec =
  | { kind: 'file'; uri: string; dir: string }
  | { kind: 'env'; uri: string; prefix: string }
  | { kind: 'provider'; uri: string; url: URL; failover?: SourceSpec & { kind: 'provider' } };

/** The labels a value from this source is stored under: its own URI and, for a provider, its failover's. */
export function sourceLabels(spec: SourceSpec): string[] {
  return spec.kind === 'provider' && spec.failover ? [spec.uri, spec.failover.uri] : [spec.uri];
}

/** A URI for logs and events: no credentials, no query secrets. */
export function displayUri(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}
