// A progress indicator on stderr while something slow happens: a spinner on one line of a
// terminal (cut to its width, so it never wraps and scrolls what was printed above away), a
// growing dotted line otherwise (logs, CI, pipes, very narrow terminals).

import process from "node:process";

const FRAMES = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏";
/** Narrower than this, the spinner would say nothing useful: dots instead. */
const MIN_COLUMNS = 30;

/** Where progress goes: stderr, or a stand-in in tests. */
export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(text: string): unknown;
}

/**
 * Runs `task` while showing `message` and the seconds elapsed, then clears the spinner. A
 * function as `message` is asked again on every frame (a sync's counts).
 */
export async function withProgress<T>(
  message: string | (() => string),
  task: () => Promise<T>,
  stream: ProgressStream = process.stderr,
): Promise<T> {
  const started = Date.now();
  const say = typeof message === "function" ? message : () => message;
  const spin = stream.isTTY === true && (stream.columns ?? 80) >= MIN_COLUMNS;
  let frame = 0;
  const tick = spin
    ? () => {
      const seconds = ` ${Math.floor((Date.now() - started) / 1000)} s`;
      const room = (stream.columns ?? 80) - 3 - seconds.length; // frame, space, last column
      const line = say();
      const text = line.length > room ? `${line.slice(0, room - 1)}…` : line;
      stream.write(`\r${FRAMES[frame++ % FRAMES.length]} ${text}${seconds}\x1b[K`);
    }
    : () => stream.write(".");
  if (spin) tick();
  else stream.write(say());
  const timer = setInterval(tick, spin ? 100 : 1000);
  try {
    return await task();
  } finally {
    clearInterval(timer);
    stream.write(spin ? "\r\x1b[K" : "\n");
  }
}
