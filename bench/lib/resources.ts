// Everything a run creates (child processes, databases) registers its own undo here; `release()` runs
// them newest first, each at most once, and keeps going past failures so nothing is left behind.
export class Resources {
  private readonly stack: { label: string; undo: () => Promise<void> }[] = [];

  add(label: string, undo: () => Promise<void>): () => Promise<void> {
    const entry = { label, undo };
    this.stack.push(entry);
    return async () => {
      const at = this.stack.indexOf(entry);
      if (at === -1) return;
      this.stack.splice(at, 1);
      await undo();
    };
  }

  async release(log: (line: string) => void): Promise<void> {
    while (this.stack.length > 0) {
      const entry = this.stack.pop();
      if (!entry) break;
      try {
        await entry.undo();
      } catch (error) {
        log(`cleanup: ${entry.label} failed: ${(error as Error).message}`);
      }
    }
  }
}
