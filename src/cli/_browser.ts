// Opens a URL in the default browser, best effort: the URL is printed anyway.

import { spawn } from "node:child_process";
import process from "node:process";

/** Asks the platform's opener to show `url`; failures (no opener, no display) are ignored. */
export function openBrowser(url: string): void {
  const [command, ...args] = process.platform === "darwin"
    ? ["open", url]
    : process.platform === "win32"
    ? ["rundll32", "url.dll,FileProtocolHandler", url]
    : ["xdg-open", url];
  try {
    const child = spawn(command, args, { stdio: "ignore", detached: true });
    child.on("error", () => {});
    child.unref();
  } catch {
    // Spawning is not permitted here; the printed URL is enough.
  }
}
