// The subject of the start-up benchmark: a script that only imports the main entry.
import "../mod.ts";
