import type { Logger, LoggerOptions } from 'pino';

/** Options of {@link createLogger}. */
export interface LoggerSettings {
  /** pino level; default `info` (env SECRETS_LOG_LEVEL). */
  level?: string;
  /** Where operational logs go: `stderr` (default), `stdout`, or a file path (env SECRETS_LOG_DESTINATION). */
  destination?: string;
}

/**
 * Paths pino always censors. A second defence only: the library never passes values to the logger at all.
 */
export const REDACT_PATHS = [
  'value',
  '*.value',
  'secret',
  '*.secret',
  'password',
  '*.password',
  'token',
  '*.token',
  'headers.authorization',
  '*.headers.authorization',
  'headers["x-vault-token"]',
  '*.headers["x-vault-token"]',
];

/**
 * The library's operational logger: pino, JSON lines, redaction compiled once. Loaded lazily (pino costs ~16 ms
 * to require), so a healthy start-up that logs nothing does not pay for it before the app's first line.
 *
 * @example
 * ```ts
 * const log = createLogger({ level: 'warn' });
 * log.warn({ names: ['A'] }, 'taken from env');
 * ```
 */
export function createLogger(settings: LoggerSettings = {}): Logger {
  const pino = require('pino') as typeof import('pino');
  const options: LoggerOptions = {
    name: '@valuecanvas/secrets',
    level: settings.level ?? 'info',
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { pid: process.pid },
  };
  const dest = settings.destination ?? 'stderr';
  const stream =
    dest === 'stdout' ? pino.destination({ fd: 1, sync: true }) : dest === 'stderr' ? pino.destination({ fd: 2, sync: true }) : pino.destination({ dest, sync: true, mkdir: true });
  return pino.default(options, stream);
}

let shared: Logger | undefined;
let sharedSettings: LoggerSettings = {};

/** Configure the process-wide logger (called by the preload from its settings). */
export function configureLogger(settings: LoggerSettings): void {
  sharedSettings = settings;
  shared = undefined;
}

/** The process-wide logger, created on first use. */
export function getLogger(): Logger {
  shared ??= createLogger(sharedSettings);
  return shared;
}
