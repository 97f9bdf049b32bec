import { existsSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";

// Where this process finds cluster credentials. The only module of the package that reads the environment.

export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

export type TK8sEnvironment = {
  env: NodeJS.ProcessEnv;
  isInPod: boolean;
  /** KUBECONFIG (may be a path list), else ~/.kube/config when it exists. */
  kubeconfigPaths: string[];
};

/** Inside a pod: the service host variables are set and the service account token is mounted. */
export function readK8sEnvironment(
  env: NodeJS.ProcessEnv = process.env,
  serviceAccountDir = SERVICE_ACCOUNT_DIR,
): TK8sEnvironment {
  const hasServiceHost = Boolean(env.KUBERNETES_SERVICE_HOST && env.KUBERNETES_SERVICE_PORT);
  const hasToken = existsSync(path.join(serviceAccountDir, "token"));
  const fromEnv = (env.KUBECONFIG ?? "").split(path.delimiter).filter(Boolean);
  const home = env.HOME || homedir();
  const defaultFile = path.join(home, ".kube", "config");
  const kubeconfigPaths = fromEnv.length ? fromEnv : existsSync(defaultFile) ? [defaultFile] : [];
  return { env, isInPod: hasServiceHost && hasToken, kubeconfigPaths };
}
