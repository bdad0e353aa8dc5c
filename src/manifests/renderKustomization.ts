import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from '../errors/ConfigError';

/** Options of {@link renderKustomization} and {@link findKustomize}. */
export interface RenderKustomizationOptions {
  /**
   * The command that renders a directory, without the directory: e.g. `['kustomize', 'build']` or
   * `['kubectl', 'kustomize']`. Default: the first of `kustomize build` and `kubectl kustomize` found on PATH.
   */
  command?: readonly string[];
  /** Time limit of one rendering (ms). Default 60000. */
  timeoutMs?: number;
  /** Environment to search PATH in (default `process.env`). */
  env?: NodeJS.ProcessEnv;
}

/**
 * The command that renders kustomizations on this machine: `kustomize build` when a `kustomize` binary is on
 * PATH, else `kubectl kustomize` (kubectl embeds kustomize), else `undefined`.
 *
 * @example
 * ```ts
 * findKustomize(); // ['/usr/bin/kubectl', 'kustomize']
 * ```
 */
export function findKustomize(env: NodeJS.ProcessEnv = process.env): string[] | undefined {
  const kustomize = onPath('kustomize', env);
  if (kustomize) return [kustomize, 'build'];
  const kubectl = onPath('kubectl', env);
  if (kubectl) return [kubectl, 'kustomize'];
  return undefined;
}

function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * Render a kustomization directory to a YAML stream (what `kubectl apply -k` would send).
 *
 * @throws ConfigError when no kustomize is available, or when rendering fails (kustomize's own message, which
 * names the file at fault, is in the error).
 * @example
 * ```ts
 * const yaml = renderKustomization('deploy/kubernetes/overlays/aws');
 * const docs = parseManifests(yaml, 'overlays/aws (kustomize build)');
 * ```
 */
export function renderKustomization(dir: string, options: RenderKustomizationOptions = {}): string {
  const command = options.command ?? findKustomize(options.env);
  if (!command || command.length === 0) {
    throw new ConfigError('kustomize: neither kustomize nor kubectl is on PATH. Install kubectl (it embeds kustomize) or kustomize (go install sigs.k8s.io/kustomize/kustomize/v5@v5.7.1).');
  }
  const [file, ...args] = command as [string, ...string[]];
  try {
    return execFileSync(file, [...args, dir], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? 60_000,
      maxBuffer: 64 * 1024 * 1024,
      env: options.env ?? process.env,
    });
  } catch (error) {
    const e = error as { stderr?: unknown; code?: unknown; signal?: unknown };
    const stderr = typeof e.stderr === 'string' ? e.stderr.trim().split('\n').slice(-5).join(' ') : '';
    const why = stderr || (e.signal ? `killed by ${String(e.signal)} (time limit?)` : String(e.code ?? (error as Error).message));
    throw new ConfigError(`kustomize: rendering ${dir} with ${path.basename(file)} failed: ${why.slice(0, 2000)}`, { cause: error });
  }
}
