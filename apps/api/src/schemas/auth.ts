import { z } from "zod";
import { ZPassword } from "../lib/passwords";
import { ZId, ZIsoDate } from "./common";
import { ZLineText, ZText } from "./text";

// Emails are compared in lower case: `Ann@Example.com` and `ann@example.com` are one account.
export const ZEmail = ZLineText.trim()
  .max(254, "Email must be at most 254 characters")
  .pipe(z.email({ error: "Email must be a valid address like name@example.com" }))
  .transform((email) => email.toLowerCase());

export const ZUserRole = z.enum(["user", "admin"]);

export const ZUser = z.object({
  id: ZId,
  email: z.string(),
  name: z.string().nullable(),
  role: ZUserRole,
  createdAt: ZIsoDate,
});
export type TUser = z.infer<typeof ZUser>;

export const ZRegisterInput = z
  .object({
    email: ZEmail,
    password: ZPassword,
    name: ZLineText.trim().min(1).max(100, "Name must be at most 100 characters").optional(),
  })
  .strict();
export type TRegisterInput = z.infer<typeof ZRegisterInput>;

export const ZLoginInput = z
  .object({
    email: ZEmail,
    // Length rules are not re-checked at login: an old password must still let its owner in.
    password: ZText.min(1, "Password is required").max(1024),
  })
  .strict();
export type TLoginInput = z.infer<typeof ZLoginInput>;

export const ZSessionResult = z.object({
  user: ZUser,
  accessToken: z.string(),
  expiresAt: ZIsoDate,
});
export type TSessionResult = z.infer<typeof ZSessionResult>;

export const ZMe = z.object({
  user: ZUser,
  authenticatedWith: z.enum(["access_token", "api_key"]),
});
export type TMe = z.infer<typeof ZMe>;

export const ZLogoutAllResult = z.object({ revokedSessions: z.number().int() });
