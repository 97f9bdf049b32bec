"""The bench's wrk report parser: numbers, and rounds that must not count."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import unittest
from pathlib import Path

from .helpers import RUNTIME

sys.path.insert(0, str(RUNTIME / "bench"))

from servers import tree_cpu_seconds  # noqa: E402
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
        self.assertEqual((r.rps, r.p50_ms, r.p99_ms, r.is_valid, r.requests), (2116.08, 6.05, 163.54, True, 2175))
        self.assertAlmostEqual(parse_report(REPORT.replace("6.05ms", "850.00us")).p50_ms, 0.85)

    def test_non_2xx_socket_errors_and_no_result_are_invalid(self) -> None:
        r = parse_report(REPORT + "  Non-2xx or 3xx responses: 12\n")
        self.assertFalse(r.is_valid)
        self.assertIn("12 non-2xx", r.problem)
        r = parse_report(REPORT + "  Socket errors: connect 0, read 3, write 0, timeout 0\n")
        self.assertFalse(r.is_valid)
        self.assertFalse(parse_report("unable to connect to 127.0.0.1:9 Connection refused").is_valid)


class TreeCpuTest(unittest.TestCase):
    def test_counts_the_cpu_of_a_grandchild(self) -> None:
        # a shell (idle) whose child burns CPU: the worker processes of a server are such descendants
        burn = f"{sys.executable} -c 'import time; t = time.process_time(); exec(\"while time.process_time() - t < 0.3: pass\"); time.sleep(30)'"
        shell = subprocess.Popen(["/bin/sh", "-c", f"{burn} & wait"])
        try:
            deadline = 100
            while tree_cpu_seconds(shell.pid) < 0.25 and deadline:
                subprocess.run(["sleep", "0.1"])
                deadline -= 1
            self.assertGreaterEqual(tree_cpu_seconds(shell.pid), 0.25)
            self.assertLess(tree_cpu_seconds(shell.pid), 5)
        finally:
            for child in Path(f"/proc/{shell.pid}/task/{shell.pid}/children").read_text().split():
                os.kill(int(child), signal.SIGKILL)
            shell.kill()
            shell.wait()


if __name__ == "__main__":
    unittest.main()
