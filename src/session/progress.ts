/** Progress of a transfer as the data path reports it; only the CLI turns it into bars. */
export interface TransferProgress {
  /** Index of the file in the offer, and its path. */
  readonly index: number;
  readonly path: string;
  /** Bytes that just moved, and the file's size: null for a stream (section 11), known only at its end. */
  readonly fileBytes: number;
  readonly fileSize: number | null;
  /** Bytes moved so far over the whole offer, and its total (null for a stream). */
  readonly doneBytes: number;
  readonly totalBytes: number | null;
}
