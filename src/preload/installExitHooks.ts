const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];

/**
 * Listeners of `signal` besides ours that decide the process's fate. signal-exit (used by many tools, and by
 * test runners) installs a passive listener that re-raises only when it is alone: counted as ours, or each of us
 * would wait for the other and the process would never die.
 */
function otherListeners(signal: NodeJS.Signals): number {
  // signal-exit v4 keeps its emitter on globalThis under a registered symbol, v3 on process under a string key.
  const v4 = (globalThis as Record<symbol, unknown>)[Symbol.for('signal-exit emitter')];
  const v3 = (process as unknown as Record<string, unknown>).__signal_exit_emitter__;
  const hasSignalExit = (typeof v4 === 'object' && v4 !== null) || (typeof v3 === 'object' && v3 !== null);
  return process.listenerCount(signal) - 1 - (hasSignalExit ? 1 : 0);
}

/**
 * Zero secrets on every kind of exit while keeping the process's normal exit behaviour:
 * - `exit` (normal end, process.exit, and after an uncaught exception): zero.
 * - A fatal uncaught exception (no app handler): zero at once (`uncaughtExceptionMonitor` changes nothing).
 * - SIGINT/SIGTERM/SIGHUP/SIGQUIT: if the app has no handler of its own, zero, remove our handler and re-raise
 *   the signal, so the process still dies of it (exit status 128+n, as without us). If the app handles the
 *   signal, we leave the decision to it; `exit` zeroes when it ends the process.
 * Returns a function that removes the hooks.
 */
export function installExitHooks(zero: () => void): () => void {
  let done = false;
  const zeroOnce = () => {
    if (done) return;
    done = true;
    zero();
  };
  const onExit = () => zeroOnce();
  const onMonitor = () => {
    if (process.listenerCount('uncaughtException') === 0) zeroOnce();
  };
  const handlers = new Map<NodeJS.Signals, () => void>();
  for (const signal of SIGNALS) {
    const handler = () => {
      if (otherListeners(signal) > 0) return;
      zeroOnce();
      process.removeListener(signal, handler);
      process.kill(process.pid, signal);
    };
    handlers.set(signal, handler);
    process.on(signal, handler);
  }
  process.on('exit', onExit);
  process.on('uncaughtExceptionMonitor', onMonitor);
  return () => {
    process.removeListener('exit', onExit);
    process.removeListener('uncaughtExceptionMonitor', onMonitor);
    for (const [signal, handler] of handlers) process.removeListener(signal, handler);
  };
}
