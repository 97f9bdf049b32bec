/** The device cookie's name, shared by the server and the typed client (which must not import node:crypto). */
export const deviceCookieName = "ks_device";
