"""`pnpm bench sklearn`: our runtime vs the FastAPI peer vs a bare ASGI floor, same workers, in one run.

    /usr/bin/python3 bench/run.py [--rounds N] [--duration S] [--workers W] [--quick]

Prints req/s, p50 and p99 per server and case (median round by req/s, rounds interleaved), the
ratios, the cold starts, then PASS/FAIL per target from the issue. A round with a non-2xx answer or
a socket error is INVALID and left out; a target without valid rounds is INVALID, never PASS.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from servers import PYTHON, RUNTIME, start_floor, start_ours, start_peer  # noqa: E402
from wrk import Round, run_wrk  # noqa: E402

FIXTURES = Path(os.environ.get("BENCH_FIXTURES", RUNTIME.parent.parent.parent / "shared" / "fixtures"))
# (case, model, body, connections)
CASES = [
    ("iris b1", "iris-logreg", "bench_body_iris_b1.json", 16),
    ("mlp-64 b1", "mlp-64", "bench_body_mlp64_b1.json", 16),
    ("mlp-64 b32", "mlp-64", "bench_body_mlp64_b32.json", 16),
    ("mlp-wide b1 c64", "mlp-wide", "bench_body_mlpwide_b1.json", 64),
]


COLD_FLOOR = "floor: bare python3 importing sklearn + joblib.load(iris)"


def median_round(rounds: list[Round]) -> Round | None:
    valid = sorted((r for r in rounds if r.is_valid), key=lambda r: r.rps)
    return valid[len(valid) // 2] if valid else None


def measure(args: argparse.Namespace) -> dict[tuple[str, str], list[Round]]:
    results: dict[tuple[str, str], list[Round]] = {}
    for round_index in range(args.rounds):
        for case, model_name, body, connections in CASES:
            model = FIXTURES / f"{model_name}.joblib"
            servers = [("ours", lambda: start_ours(model, args.workers)), ("peer", lambda: start_peer(FIXTURES, model, args.workers)), ("floor", lambda: start_floor(model, args.workers))]
            if model_name == "mlp-wide":
                servers = [("ours", lambda: start_ours(model, args.workers)), ("ours unbatched", lambda: start_ours(model, args.workers, "off")), ("peer", lambda: start_peer(FIXTURES, model, args.workers))]
            for label, start in servers:
                server = start()
                try:
                    path = "/predict"
                    result = run_wrk(f"http://127.0.0.1:{server.port}{path}", FIXTURES / body, connections, args.duration, args.warmup, server.cpu_seconds)
                finally:
                    server.stop()
                results.setdefault((case, label), []).append(result)
                state = "" if result.is_valid else f"  INVALID: {result.problem}"
                print(f"  round {round_index + 1} {case:<16} {label:<15} {result.rps:9.0f} req/s {result.cpu_us:8.1f} CPU us/req{state}", flush=True)
    return results


def cold_starts(args: argparse.Namespace) -> dict[str, float]:
    iris = FIXTURES / "iris-logreg.joblib"
    out: dict[str, float] = {}
    # the floor: a bare interpreter importing sklearn and loading the same file, timed in the same run
    import subprocess

    started = time.perf_counter()
    subprocess.run([PYTHON, "-c", "import sys, sklearn, joblib; joblib.load(sys.argv[1])", str(iris)], check=True, env={"PATH": "/usr/bin:/bin", "OPENBLAS_NUM_THREADS": "1"})
    out[COLD_FLOOR] = time.perf_counter() - started
    server = start_ours(iris, 1)
    out["iris, no extra requirements"] = server.ready_seconds
    server.stop()
    sys.path.insert(0, str(RUNTIME))
    from tests.test_venv import build_wheel  # the same tiny wheel the tests install

    with tempfile.TemporaryDirectory() as tmp:
        wheels = Path(tmp, "wheels")
        wheels.mkdir()
        build_wheel(wheels)
        requirements = Path(tmp, "requirements.txt")
        requirements.write_text("kubeserve-tinypkg==1.0.0\n")
        started = time.perf_counter()
        done = subprocess.run(
            [PYTHON, "-m", "kubeserve_sklearn", "venv", "--requirements", str(requirements), "--root", str(Path(tmp, "runtimes"))],
            cwd=RUNTIME,
            capture_output=True,
            text=True,
            env={"PATH": "/usr/bin:/bin", "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheels), "HOME": tmp},
        )
        if done.returncode != 0:
            raise RuntimeError(done.stdout + done.stderr)
        import json

        python = json.loads(done.stdout)["python"]
        server = start_ours(iris, 1, python=python)
        out["iris, one requirement from a local wheelhouse (venv + start)"] = time.perf_counter() - started
        server.stop()
        for dirpath, _, _ in os.walk(tmp):
            os.chmod(dirpath, 0o755)
    return out


def report(results: dict[tuple[str, str], list[Round]], starts: dict[str, float], workers: int) -> int:
    print(f"\nscikit-learn runtime bench ({workers} workers each, OPENBLAS_NUM_THREADS=1, wrk -t2)\n")
    print(f"| {'case':<16} | {'server':<15} | {'req/s':>8} | {'p50 ms':>7} | {'p99 ms':>7} | {'vs peer':>7} | {'vs floor':>8} | {'CPU us/req':>10} | {'CPU vs floor':>12} |")
    print(f"|{'-' * 18}|{'-' * 17}|{'-' * 10}|{'-' * 9}|{'-' * 9}|{'-' * 9}|{'-' * 10}|{'-' * 12}|{'-' * 14}|")
    medians = {key: median_round(rounds) for key, rounds in results.items()}
    for (case, label), r in medians.items():
        peer, floor = medians.get((case, "peer")), medians.get((case, "floor"))
        if r is None:
            print(f"| {case:<16} | {label:<15} | {'INVALID':>8} | {'':>7} | {'':>7} | {'':>7} | {'':>8} | {'':>10} | {'':>12} |")
            continue
        vs_peer = f"{r.rps / peer.rps:.2f}x" if peer else "-"
        vs_floor = f"{r.rps / floor.rps:.0%}" if floor else "-"
        cpu = statistics.median(x.cpu_us for x in results[(case, label)] if x.is_valid)
        floor_cpu = statistics.median(x.cpu_us for x in results[(case, "floor")] if x.is_valid) if floor else None
        # > 100%: the floor spends less CPU per request than this server
        cpu_vs_floor = f"{cpu / floor_cpu:.0%}" if floor_cpu else "-"
        print(f"| {case:<16} | {label:<15} | {r.rps:8.0f} | {r.p50_ms:7.2f} | {r.p99_ms:7.2f} | {vs_peer:>7} | {vs_floor:>8} | {cpu:10.1f} | {cpu_vs_floor:>12} |")
    print()
    floor_seconds = starts.get(COLD_FLOOR)
    for name, seconds in starts.items():
        vs = f" ({seconds / floor_seconds:.1f}x the floor)" if floor_seconds and name != COLD_FLOOR else ""
        print(f"cold start, {name}: {seconds:.2f} s{vs}")
    print()
    failed = 0

    def judge(name: str, value: float | None, target: float, text: str) -> None:
        nonlocal failed
        if value is None:
            verdict = "INVALID"
            failed += 1
        else:
            verdict = "PASS" if value >= target else "FAIL"
            failed += verdict == "FAIL"
        shown = "no valid round" if value is None else text.format(value)
        print(f"{verdict:<7} {name}: {shown}")

    def ratio(case: str, a: str, b: str) -> float | None:
        x, y = medians.get((case, a)), medians.get((case, b))
        return x.rps / y.rps if x and y else None

    for case in ("iris b1", "mlp-64 b1"):
        judge(f"{case}: ours >= 3x the peer", ratio(case, "ours", "peer"), 3.0, "{:.2f}x")
        judge(f"{case}: ours >= 70% of the bare floor", ratio(case, "ours", "floor"), 0.7, "{:.0%}")
    judge("mlp-64 b32: ours >= 70% of the bare floor", ratio("mlp-64 b32", "ours", "floor"), 0.7, "{:.0%}")
    judge("mlp-wide b1 c64: batching >= 2x unbatched", ratio("mlp-wide b1 c64", "ours", "ours unbatched"), 2.0, "{:.2f}x")
    for name, limit in (("iris, no extra requirements", 3.0), ("iris, one requirement from a local wheelhouse (venv + start)", 10.0)):
        seconds = starts.get(name)
        judge(f"cold start {name} < {limit:.0f} s", None if seconds is None else limit / seconds, 1.0, f"{seconds:.2f} s" if seconds else "")
    return 1 if failed else 0


def main() -> int:
    parser = argparse.ArgumentParser(prog="pnpm bench sklearn")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="1 round of 3 s")
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.duration, args.warmup = 1, 3.0, 1.0
    if not shutil.which("wrk"):
        print("wrk is missing: apt-get install -y wrk", file=sys.stderr)
        return 2
    if not (FIXTURES / "peer_server.py").is_file():
        print(f"no fixtures at {FIXTURES} (set BENCH_FIXTURES)", file=sys.stderr)
        return 2
    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    results = measure(args)
    return report(results, cold_starts(args), args.workers)


if __name__ == "__main__":
    sys.exit(main())
