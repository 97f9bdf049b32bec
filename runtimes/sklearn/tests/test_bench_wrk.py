"""The bench's wrk report parser: numbers, and rounds that must not count."""

from __future__ import annotations

import sys
import unittest

from .helpers import RUNTIME

sys.path.insert(0, str(RUNTIME / "bench"))

from wrk import parse_report  # noqa: E402

REPORT = """Running 3s test @ http://127.0.0.1:37789/predict
  2 threads and 16 connections
  Latency Distribution
     50%    6.05ms
     75%   11.30ms
     90%   41.87ms
     99%  163.54ms
  2175 requests in 1.03s, 433.32KB read
Requests/sec:   2116.08
"""


class WrkReportTest(unittest.TestCase):
    def test_numbers(self) -> None:
        r = parse_report(REPORT)
        self.assertEqual((r.rps, r.p50_ms, r.p99_ms, r.is_valid), (2116.08, 6.05, 163.54, True))
        self.assertAlmostEqual(parse_report(REPORT.replace("6.05ms", "850.00us")).p50_ms, 0.85)

    def test_non_2xx_socket_errors_and_no_result_are_invalid(self) -> None:
        r = parse_report(REPORT + "  Non-2xx or 3xx responses: 12\n")
        self.assertFalse(r.is_valid)
        self.assertIn("12 non-2xx", r.problem)
        r = parse_report(REPORT + "  Socket errors: connect 0, read 3, write 0, timeout 0\n")
        self.assertFalse(r.is_valid)
        self.assertFalse(parse_report("unable to connect to 127.0.0.1:9 Connection refused").is_valid)


if __name__ == "__main__":
    unittest.main()
