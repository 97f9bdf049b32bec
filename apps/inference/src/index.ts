export { startInferenceServer, type TInferenceServer, type TStartOptions } from "./server";
export {
  CONFIG_SETTINGS,
  ConfigError,
  getConfigSchema,
  loadConfig,
  parseConfig,
  type TConfig,
  type TConfigInput,
} from "./config";
export { ModelLoadError } from "./model/load-model";
export { ModelSourceError } from "./model/resolve-model";
