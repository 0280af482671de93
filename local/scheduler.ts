/**
 * The local stand-in for EventBridge Scheduler: calls the scheduled evaluation every `seconds`
 * (never two at once), and logs a failed tick instead of stopping.
 */
export function startScheduler(seconds: number, run: () => Promise<unknown>): { stop(): Promise<void> } {
  if (!(seconds > 0)) return { stop: async () => {} };
  let running: Promise<unknown> | undefined;
  const tick = () => {
    if (running) return;
    running = run()
      .catch((error: unknown) => {
        console.error(
          `vigil: scheduled evaluation failed: ${error instanceof Error ? error.message : String(error)}`,
        );
      })
      .finally(() => {
        running = undefined;
      });
  };
  const timer = setInterval(tick, seconds * 1000);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
