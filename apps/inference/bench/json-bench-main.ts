import { runJsonBench } from "./json-bench";

// Run on its own (bundled by the bench, so it measures the scanner as it ships in dist/).
const repeats = Number(process.argv[2] ?? 9);
process.exitCode = runJsonBench(repeats) ? 0 : 3;
