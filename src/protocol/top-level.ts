/**
 * The top-level entries of a files offer (PROTOCOL.md section 6, step 2): the first segment of each
 * path, which is what lands directly in the destination, with how much the offer puts under it.
 * A receiver shows every one of them before it accepts, since the offer's `name` is only what the
 * sender chose to call it.
 */
import { forDisplay } from './display.js';

export interface TopLevelEntry {
  /** The first segment of the paths it covers, as received: pass it through `forDisplay` to show it. */
  readonly name: string;
  /** True if the offer puts files under it (it has paths of more than one segment). */
  readonly isDirectory: boolean;
  readonly fileCount: number;
  readonly totalBytes: number;
}

/**
 * The offer's top-level entries, in the order they first appear. The path rules (section 5) make
 * a name either one file or a directory, never both, so the first path of a name says which.
 */
export function topLevelEntries(files: readonly { readonly path: string; readonly size: number }[]): TopLevelEntry[] {
  const entries = new Map<string, { name: string; isDirectory: boolean; fileCount: number; totalBytes: number }>();
  for (const file of files) {
    const slash = file.path.indexOf('/');
    const name = slash < 0 ? file.path : file.path.slice(0, slash);
    let entry = entries.get(name);
    if (entry === undefined) {
      entry = { name, isDirectory: slash >= 0, fileCount: 0, totalBytes: 0 };
      entries.set(name, entry);
    }
    entry.fileCount += 1;
    entry.totalBytes += file.size;
  }
  return [...entries.values()];
}

/** Section 6 step 2: a top-level name beginning with `.` (`.ssh`, `.bashrc`) needs the person's leave. */
export const isHiddenName = (name: string): boolean => name.startsWith('.');

/** A top-level entry with what the destination knows of its name (see Destination.describeTopLevel). */
export interface TopLevelFacts extends TopLevelEntry {
  /** Something has this name in the destination already. */
  readonly exists: boolean;
  /**
   * It is a directory that an earlier, broken-off attempt of this same offer created: the offer's
   * own, not one that existed before it (section 6 step 2).
   */
  readonly createdByEarlierAttempt: boolean;
}

/** What section 6 step 2 lets an offer do only with the person's leave, by entry. */
export function needingLeave(entries: readonly TopLevelFacts[]): { hidden: TopLevelFacts[]; existingDirectories: TopLevelFacts[] } {
  return {
    hidden: entries.filter((entry) => isHiddenName(entry.name)),
    existingDirectories: entries.filter((entry) => entry.isDirectory && entry.exists && !entry.createdByEarlierAttempt),
  };
}

/** Names as a person reads them: made safe for a terminal, a directory with a trailing `/`, joined by commas. */
export function shownNames(entries: readonly TopLevelEntry[]): string {
  return entries.map((entry) => `${forDisplay(entry.name)}${entry.isDirectory ? '/' : ''}`).join(', ');
}
