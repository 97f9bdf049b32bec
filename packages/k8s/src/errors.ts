import type { z } from "zod";

/** Bad builder input, found before anything is sent to a cluster; `issues` name each field. */
export class K8sSpecError extends Error {
  override name = "K8sSpecError";
  constructor(
    readonly what: string,
    readonly issues: string[],
  ) {
    super(`invalid ${what}:\n  ${issues.join("\n  ")}`);
  }
}

function formatIssue(issue: z.core.$ZodIssue): string {
  const where = issue.path.map(String).join(".");
  return where ? `${where}: ${issue.message}` : issue.message;
}

export function parseOrThrow<TSchema extends z.ZodType>(
  schema: TSchema,
  input: unknown,
  what: string,
): z.output<TSchema> {
  const result = schema.safeParse(input);
  if (!result.success) throw new K8sSpecError(what, result.error.issues.map(formatIssue));
  return result.data;
}
