// The baseline of the start-up benchmark: a script that imports nothing.
export {};
