/**
 * Closed until opened once; waiting on it ends early when the waiter's signal aborts. The watches
 * wait on one before their first blocking query, so that during the first sync every request slot
 * serves a first read instead of a query parked for minutes. Nothing is missed meanwhile: a
 * blocking query asks from the index of the first read, so whatever changed since answers at once.
 */
export class Gate {
  private isOpen = false;
  private readonly waiters = new Set<() => void>();

  open(): void {
    this.isOpen = true;
    for (const wake of [...this.waiters]) wake();
  }

  wait(signal: AbortSignal): Promise<void> {
    if (this.isOpen || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = (): void => {
        this.waiters.delete(wake);
        signal.removeEventListener('abort', wake);
        resolve();
      };
      this.waiters.add(wake);
      signal.addEventListener('abort', wake, { once: true });
    });
  }
}
