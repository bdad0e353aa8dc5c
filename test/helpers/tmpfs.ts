// Real tmpfs mounts for tests of remounted volumes. mount(8) needs root (CAP_SYS_ADMIN): tests fail clearly
// without it rather than skip.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import type { Test } from 'tap';

/** Fails the test (and returns false) unless running as root. */
export function requireRoot(t: Test): boolean {
  if (process.getuid?.() === 0) return true;
  t.fail('this test must run as root: it mounts and unmounts a tmpfs (mount -t tmpfs needs CAP_SYS_ADMIN); .ci/run runs the tests as root');
  return false;
}

/** Whether `dir` is a mount point (listed in /proc/self/mountinfo). */
export function isMounted(dir: string): boolean {
  return fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === dir);
}

/** Mount a fresh 1 MiB tmpfs on `dir`; unmounted (as often as needed) when the test ends. */
export function mountTmpfs(t: Test, dir: string): void {
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0755', 'tmpfs', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => {
    while (isMounted(dir)) unmount(dir);
  });
}

export function unmount(dir: string): void {
  execFileSync('umount', [dir], { stdio: ['ignore', 'pipe', 'pipe'] });
}
