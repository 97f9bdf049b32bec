export type { AppRouter, RouterInputs, RouterOutputs } from "./routers";
export { createApiClient, type TApiClient } from "./client";
export { uploadArtifact, type TUploadArtifactOptions } from "./upload-client";
