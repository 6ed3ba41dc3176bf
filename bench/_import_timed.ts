// Times the dynamic import of the main entry inside the process (module loading and
// evaluation only, without the runtime's own start-up) and prints the milliseconds.
const start = performance.now();
await import("../mod.ts");
console.log(`IMPORT_MS ${performance.now() - start}`);
