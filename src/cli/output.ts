// Text output of the command line: aligned tables, a progress bar on a terminal's stderr, and a
// quiet end when the reader of stdout has gone.

/**
 * `dcc-sim devices list | head -1`: head closes the pipe while we still write, and Node raises EPIPE
 * as an unhandled error with a stack. The reader has all it wanted: stop quietly, as Unix tools do.
 */
export function endQuietlyOnClosedPipe(stream: NodeJS.WriteStream = process.stdout): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}

export function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

export function progressBar(label: string): ((done: number, total: number) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  const started = Date.now();
  return (done, total) => {
    const width = 30;
    const filled = Math.round((done / total) * width);
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    process.stderr.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${secs}s`);
    if (done === total) process.stderr.write('\n');
  };
}
