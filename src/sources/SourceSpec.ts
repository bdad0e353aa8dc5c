/** One entry of SECRETS_SOURCE, parsed. */
export type SourceSpec =
  | { kind: 'file'; uri: string; dir: string }
  | { kind: 'env'; uri: string; prefix: string }
  | { kind: 'provider'; uri: string; url: URL; failover?: SourceSpec & { kind: 'provider' } };

/** A URI for logs and events: no credentials, no query secrets. */
export function displayUri(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}
