// Finds a kustomize for the tests, or installs one: `kubectl kustomize` / `kustomize build` on PATH first, then
// .peers/bin/kustomize, then `go install sigs.k8s.io/kustomize/kustomize/v5@<KUSTOMIZE_VERSION>` into .peers/bin.
// Fails loudly when none works. VC_TEST_KUSTOMIZE=go forces the go-installed binary (to exercise the fallback).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { findKustomize } from '../../src/manifests';

export const ROOT = path.join(__dirname, '..', '..');
/** The standalone kustomize the fallback installs: v5.7.1 builds with the Go on these machines (1.26). */
export const KUSTOMIZE_VERSION = 'v5.7.1';
const LOCAL = path.join(ROOT, '.peers', 'bin', 'kustomize');

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The standalone kustomize in .peers/bin, installed with `go install` when missing. Throws when that fails.
 * `local` and `env` exist for the test of the failure.
 */
export function installedKustomize(local = LOCAL, env: NodeJS.ProcessEnv = process.env): string[] {
  if (isExecutable(local)) return [local, 'build'];
  fs.mkdirSync(path.dirname(local), { recursive: true });
  const go = ['go', 'install', `sigs.k8s.io/kustomize/kustomize/v5@${KUSTOMIZE_VERSION}`];
  // Two test files may install at once: flock (util-linux) serialises them; the second finds the binary.
  const command = fs.existsSync('/usr/bin/flock') ? ['/usr/bin/flock', path.join(path.dirname(local), '..', 'kustomize.lock'), ...go] : go;
  try {
    execFileSync(command[0]!, command.slice(1), { cwd: ROOT, env: { ...env, GOBIN: path.dirname(local), GOFLAGS: '-mod=mod' }, stdio: 'pipe', timeout: 540_000 });
  } catch (error) {
    const e = error as { stderr?: Buffer; message: string };
    throw new Error(`No kustomize: kubectl and kustomize are not on PATH, and \`${go.join(' ')}\` (GOBIN=.peers/bin) failed: ${e.stderr?.toString().trim().split('\n').slice(-5).join(' ') || e.message}. Install kubectl or Go.`);
  }
  if (!isExecutable(local)) throw new Error(`No kustomize: go install finished but ${local} is missing.`);
  return [local, 'build'];
}

/** The kustomize command the tests render with. */
export function kustomizeCommand(): string[] {
  if (process.env.VC_TEST_KUSTOMIZE === 'go') return installedKustomize();
  return findKustomize() ?? installedKustomize();
}

/** Whether the go-installed standalone kustomize is already there (no install). */
export function hasInstalledKustomize(): boolean {
  return isExecutable(LOCAL);
}
