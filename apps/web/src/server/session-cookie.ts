import { readWebConfig } from "~/config";

/** The dashboard's session cookie: an encrypted JWT that holds the API token and never reaches page script. */
export function sessionCookieName(): string {
  return readWebConfig().isSecure ? "__Secure-kubeserve.session" : "kubeserve.session";
}

/** Where the API's device cookie is kept for the dashboard's logins (only the sign-in route reads it). */
export const deviceCookieName = "ks_device";
export const deviceCookiePath = "/api/auth";
