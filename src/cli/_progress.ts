// A progress indicator on stderr while something slow happens: a spinner on a terminal, a
// growing dotted line otherwise (logs, CI, pipes).

import process from "node:process";

const FRAMES = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏";

/** Runs `task` while showing `message` and the seconds elapsed, then clears the spinner. */
export async function withProgress<T>(message: string, task: () => Promise<T>): Promise<T> {
  const stream = process.stderr;
  const started = Date.now();
  let frame = 0;
  const tick = stream.isTTY
    ? () =>
      stream.write(
        `\r${FRAMES[frame++ % FRAMES.length]} ${message} ${
          Math.floor((Date.now() - started) / 1000)
        } s`,
      )
    : () => stream.write(".");
  if (stream.isTTY) tick();
  else stream.write(message);
  const timer = setInterval(tick, stream.isTTY ? 100 : 1000);
  try {
    return await task();
  } finally {
    clearInterval(timer);
    stream.write(stream.isTTY ? "\r\x1b[K" : "\n");
  }
}
