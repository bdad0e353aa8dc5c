const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];

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
      if (process.listenerCount(signal) > 1) return;
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
