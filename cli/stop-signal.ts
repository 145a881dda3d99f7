/**
 * Resolves on Ctrl-C (SIGINT) or SIGTERM: how a command that runs until stopped (`dev`,
 * `console`) is told to stop. Call it before saying the command is ready, so that a Ctrl-C right
 * after the notes stops it cleanly.
 */
export function untilStopped(): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
