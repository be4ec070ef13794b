// Rule file hot reload: fs.watch on the file's folder (editors replace files by rename, which a watch on
// the file itself loses), debounced. A good file swaps the rule set atomically — sessions and their
// sockets are untouched; a bad file is refused with a RuleFileError naming the rule, and the old rules stay.
import { watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { RuleFileError } from './errors.ts';
import { loadRuleFile } from './rules.ts';
import type { RuleSet } from './rules.ts';

export interface RuleReloadOptions {
  file: string;
  debounceMs: number;
  /** Called with each new rule set. */
  apply: (rules: RuleSet) => void;
  /** Called when a changed file is refused (the previous rules stay active). */
  onRefused?: (err: RuleFileError) => void;
}

export type ReloadOutcome = { ok: true; rules: RuleSet } | { ok: false; error: RuleFileError };

export class RuleFileWatcher {
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly name: string;
  private reloading: Promise<ReloadOutcome> | undefined;

  constructor(private readonly opts: RuleReloadOptions) {
    this.name = basename(opts.file);
  }

  start(): void {
    if (this.watcher) return;
    this.watcher = watch(dirname(this.opts.file), { persistent: false }, (_event, filename) => {
      if (filename !== null && filename.toString() !== this.name) return;
      if (this.timer) clearTimeout(this.timer);
      this.timer = setTimeout(() => void this.reload(), this.opts.debounceMs);
    });
  }

  /** Load the file now; apply it if good. Never throws. */
  reload(): Promise<ReloadOutcome> {
    this.reloading = Promise.resolve().then(() => {
      try {
        const rules = loadRuleFile(this.opts.file);
        this.opts.apply(rules);
        return { ok: true as const, rules };
      } catch (err) {
        const error =
          err instanceof RuleFileError ? err : new RuleFileError(this.opts.file, String(err), { cause: err });
        this.opts.onRefused?.(error);
        return { ok: false as const, error };
      }
    });
    return this.reloading;
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.watcher?.close();
    this.watcher = undefined;
  }
}
