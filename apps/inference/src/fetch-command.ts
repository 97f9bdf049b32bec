import { ConfigError, formatFetchHelp, loadFetchConfig, type TFetchConfig } from "./config";
import { createLogger } from "./logger";
import { redactUrl } from "./model/download";
import { fetchModelFile } from "./model/resolve-model";

/** `kubeserve-inference fetch …`; resolves to the exit code (0 verified, 1 fetch failed, 2 bad args). */
export async function runFetchCommand(argv: string[]): Promise<number> {
  let config: TFetchConfig | "help";
  try {
    config = loadFetchConfig(argv);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`kubeserve-inference fetch: ${error.message}\n`);
    return 2;
  }
  if (config === "help") {
    process.stdout.write(`${formatFetchHelp()}\n`);
    return 0;
  }
  const logger = createLogger("info", { command: "fetch" });
  const startedAt = performance.now();
  try {
    const { file, isDownloaded } = await fetchModelFile(config);
    logger.info(
      {
        uri: redactUrl(config.url),
        file,
        sha256: config.sha256,
        isDownloaded,
        seconds: Number(((performance.now() - startedAt) / 1000).toFixed(3)),
      },
      isDownloaded ? "model file fetched and verified" : "model file already present and verified",
    );
    return 0;
  } catch (error) {
    process.stderr.write(`kubeserve-inference fetch: ${(error as Error).message}\n`);
    return 1;
  }
}
