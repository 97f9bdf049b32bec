// Per-key token buckets: `rate` tokens a second up to `burst`; a request takes one.

export type TRateLimiter = {
  /** 0 when allowed, else the seconds until a token is available (for Retry-After). */
  take(key: string): number;
};

export function createRateLimiter(rate: number, burst: number): TRateLimiter {
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    take(key) {
      const now = performance.now();
      let bucket = buckets.get(key);
      if (!bucket) {
        if (buckets.size > 100_000) buckets.clear();
        bucket = { tokens: burst, at: now };
        buckets.set(key, bucket);
      } else {
        bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * rate);
        bucket.at = now;
      }
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return 0;
      }
      return Math.max(1, Math.ceil((1 - bucket.tokens) / rate));
    },
  };
}
