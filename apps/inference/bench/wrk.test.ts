import { describe, expect, it } from "vitest";
import { parseWrk } from "./wrk";

// Real wrk 4 reports: one against a server answering some 503s and dropping some connections.
const FAILING = `Running 2s test @ http://127.0.0.1:18931/
  1 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.50ms    4.67ms  61.67ms   96.14%
    Req/Sec     7.27k     4.31k   14.16k    50.00%
  Latency Distribution
     50%  387.00us
     75%  808.00us
     90%    2.89ms
     99%   28.11ms
  14444 requests in 2.00s, 1.95MB read
  Socket errors: connect 0, read 195, write 0, timeout 0
  Non-2xx or 3xx responses: 4879
Requests/sec:   7219.08
Transfer/sec:      0.97MB
`;

const CLEAN = FAILING.replace(/ {2}Socket errors.*\n {2}Non-2xx.*\n/, "");

describe("parseWrk", () => {
  it("reads throughput and latency percentiles", () => {
    expect(parseWrk(CLEAN)).toEqual({
      rps: 7219.08,
      p50: 0.387,
      p99: 28.11,
      requests: 14444,
      non2xx: 0,
      socketErrors: 0,
      invalidReason: undefined,
    });
  });

  it("marks a run with non-2xx answers or socket errors invalid, saying why", () => {
    const run = parseWrk(FAILING);
    expect(run.non2xx).toBe(4879);
    expect(run.socketErrors).toBe(195);
    expect(run.invalidReason).toBe(
      "4879 non-2xx, socket errors connect 0, read 195, write 0, timeout 0",
    );
    expect(
      parseWrk(
        CLEAN.replace(
          "  Latency Distribution",
          "  Socket errors: connect 0, read 0, write 0, timeout 3\n  Latency Distribution",
        ),
      ).invalidReason,
    ).toContain("timeout 3");
  });

  it("marks a run without a report invalid", () => {
    expect(parseWrk("unable to connect to 127.0.0.1:1 Connection refused").invalidReason).toBe(
      "no report from wrk",
    );
  });
});
