"""The pytest fixture as a downstream suite pays for it: a generated suite of 1 and of N tests.

    python bench/fixture_suite.py [--tests 41] [--runs 3]

Writes a throwaway project in a temporary directory (a conftest that loads the plugin, one test
file whose tests each use ``mock_bankid``: queue a login and GET discovery), runs it with pytest in
a subprocess, and records pytest's own timing of each phase (``pytest_runtest_logreport``): the ``mock_bankid`` fixture's set-up
of the first test (it starts the session's server) and of every later one (a reset), plus the
suite's wall time (pytest's start-up and imports included). The first session in a fresh directory also makes the key set (kept in
``.pytest_cache`` for later sessions); it is reported apart. Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PLUGIN = "mock_bankid.pytest_plugin"
CONFTEST = f"""
import json, os
from importlib.metadata import entry_points
if not any(ep.value == {PLUGIN!r} for ep in entry_points(group="pytest11")):
    pytest_plugins = [{PLUGIN!r}]

def pytest_runtest_logreport(report):  # pytest's own timing of each phase, at full precision
    with open(os.environ["BENCH_DURATIONS"], "a") as out:
        out.write(json.dumps([report.nodeid, report.when, report.duration]) + "\\n")
"""
TEST = """
import requests

def test_{n}(mock_bankid):
    mock_bankid.queue_login("adult")
    assert requests.get(mock_bankid.discovery_url, timeout=10).status_code == 200
"""


def run_suite(project: Path, tests: int) -> dict:
    (project / "test_suite.py").write_text("".join(TEST.format(n=n) for n in range(tests)))
    durations = project / "durations.jsonl"
    durations.unlink(missing_ok=True)
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pytest", "-q"], cwd=project, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT), "BENCH_DURATIONS": str(durations)})
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        raise RuntimeError(f"downstream suite failed:\n{done.stdout[-3000:]}\n{done.stderr[-2000:]}")
    phases: dict[int, dict[str, float]] = {}
    for line in durations.read_text().splitlines():
        nodeid, when, seconds = json.loads(line)
        phases.setdefault(int(nodeid.rsplit("_", 1)[1]), {})[when] = seconds
    ms = {when: [phases[n][when] * 1000 for n in range(tests)] for when in ("setup", "call", "teardown")}
    return {"tests": tests, "wall_s": round(wall, 3), "first_setup_ms": round(ms["setup"][0], 1),
            "first_total_ms": round(ms["setup"][0] + ms["call"][0] + ms["teardown"][0], 1),
            "later_setup_ms": [round(x, 2) for x in ms["setup"][1:]],
            "later_total_ms": [round(s + c + t, 2) for s, c, t in zip(ms["setup"][1:-1], ms["call"][1:-1],
                                                                      ms["teardown"][1:-1], strict=False)],
            "later_teardown_ms": [round(x, 2) for x in ms["teardown"][1:-1]] + [0.0],  # the last test's
            "session_teardown_ms": round(ms["teardown"][-1], 1)}  # teardown is the session's: it stops the server


def measure(tests: int = 41, runs: int = 3) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-downstream-") as tmp:
        project = Path(tmp)
        (project / "conftest.py").write_text(CONFTEST)
        (project / "pytest.ini").write_text("[pytest]\n")
        cold = run_suite(project, 1)  # the first session ever here: makes the key set for the cache
        ones = [run_suite(project, 1) for _ in range(runs)]
        manys = [run_suite(project, tests) for _ in range(runs)]
    one_wall = statistics.median(r["wall_s"] for r in ones)
    many_wall = statistics.median(r["wall_s"] for r in manys)
    later = [x for r in manys for x in r["later_setup_ms"]]
    later_fixture = [s + t for r in manys for s, t in zip(r["later_setup_ms"], r["later_teardown_ms"], strict=False)]
    later_total = [x for r in manys for x in r["later_total_ms"]]
    return {
        "tests": tests, "runs": runs,
        "first_test_setup_ms_first_session": cold["first_setup_ms"],
        "first_test_setup_ms": statistics.median(r["first_setup_ms"] for r in ones + manys),
        "first_test_total_ms": statistics.median(r["first_total_ms"] for r in ones + manys),
        "later_test_fixture_ms_median": round(statistics.median(later_fixture), 2),
        "later_test_fixture_ms_max": round(max(later_fixture), 2),
        "later_test_setup_ms_median": round(statistics.median(later), 2),
        "later_test_total_ms_median": round(statistics.median(later_total), 2),
        "session_teardown_ms": statistics.median(r["session_teardown_ms"] for r in manys),
        "suite_wall_s": {"1": one_wall, str(tests): many_wall},
        "wall_ms_per_extra_test": round((many_wall - one_wall) / (tests - 1) * 1000, 1),
        "raw": {"cold": cold, "one": ones, "many": manys},
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tests", type=int, default=41)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    result = measure(args.tests, args.runs)
    result.pop("raw")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
