// s3rver ships no types; this covers the part the tests use.
declare module "s3rver" {
  type TOptions = { address?: string; port?: number; silent?: boolean; directory?: string };
  export default class S3rver {
    constructor(options: TOptions);
    run(): Promise<{ address: string; port: number }>;
    close(): Promise<void>;
  }
}
