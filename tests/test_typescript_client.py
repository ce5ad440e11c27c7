"""The npm package in ``clients/typescript`` (``mock-bankid`` on npm): a typed client and a Playwright fixture.

Its own unit tests and type checks; the types' drift guard (a changed ``openapi.json`` fails the
build); its ``npm pack`` tarball installed offline into a fresh project; and its Playwright suite,
four workers in parallel, signing in through ``examples/drop-bff`` against a real ``mock-bankid
serve``, each test in its own realm with its own persona. ``scripts/setup-test`` installs and builds it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest
from conftest import CHROMIUM, start_server
from drop_bff import BUILT, NOT_BUILT

from mock_bankid.core.settings import PROJECT_ROOT

PKG = PROJECT_ROOT / "clients" / "typescript"
NODE = shutil.which("node")
NPM = shutil.which("npm")
BIN = PKG / "node_modules" / ".bin"



def needs_package(test):
    """Node, npm and the installed, built package: what every test here but the README's needs."""
    for mark in (
        pytest.mark.node,
        pytest.mark.forks,
        pytest.mark.skipif(NODE is None or NPM is None, reason="node/npm missing (scripts/setup-test)"),
        pytest.mark.skipif(not (PKG / "node_modules" / "@playwright" / "test").is_dir() or not (PKG / "dist").is_dir(),
                           reason="clients/typescript is not installed and built: run ./scripts/setup-test"),
    ):
        test = mark(test)
    return test


def run(args: list[str], cwd: Path, timeout: float = 120,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


@needs_package
def test_unit_tests_and_the_specs_type_check():
    """``npm test``: build (types generated from openapi.json), the specs type-checked as a user's
    code would be, and the client's unit tests against a recorded fetch."""
    done = run([NPM, "test"], PKG)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    passed = re.search(r"^# pass (\d+)$", done.stdout, re.M)
    assert passed and int(passed.group(1)) >= 11 and "# fail 0" in done.stdout, done.stdout[-2000:]


@needs_package
def test_a_drifted_openapi_json_fails_the_build(tmp_path):
    """The drift guard: with next-login's 201 answered as 200 in the document, the client no
    longer type-checks (it names the status it expects), so the build fails, not a test run."""
    spec = json.loads((PROJECT_ROOT / "mock_bankid" / "openapi.json").read_text())
    responses = spec["paths"]["/_mock/next-login"]["post"]["responses"]
    responses["200"] = responses.pop("201")
    (tmp_path / "openapi.json").write_text(json.dumps(spec))
    (tmp_path / "src").mkdir()
    shutil.copy(PKG / "src" / "client.ts", tmp_path / "src" / "client.ts")  # the one file that calls the API
    generated = run([str(BIN / "openapi-typescript"), str(tmp_path / "openapi.json"), "--empty-objects-unknown",
                     "-o", str(tmp_path / "src" / "generated" / "openapi.ts")], PKG)
    assert generated.returncode == 0, generated.stderr
    config = json.loads((PKG / "tsconfig.json").read_text())
    config["compilerOptions"].update(noEmit=True, typeRoots=[str(PKG / "node_modules" / "@types")])
    (tmp_path / "tsconfig.json").write_text(json.dumps(config))
    checked = run([str(BIN / "tsc"), "-p", str(tmp_path / "tsconfig.json")], tmp_path)
    assert checked.returncode != 0 and "src/client.ts" in checked.stdout, checked.stdout
    # and the same copy with the real document compiles: the failure is the drift, not the copy
    shutil.copy(PKG / "src" / "generated" / "openapi.ts", tmp_path / "src" / "generated" / "openapi.ts")
    assert run([str(BIN / "tsc"), "-p", str(tmp_path / "tsconfig.json")], tmp_path).returncode == 0


@needs_package
def test_npm_pack_makes_a_tarball_that_installs_offline_and_type_checks(tmp_path):
    packed = run([NPM, "pack", "--pack-destination", str(tmp_path)], PKG)  # prepack builds it first
    assert packed.returncode == 0, packed.stderr
    [tarball] = tmp_path.glob("mock-bankid-*.tgz")
    with tarfile.open(tarball) as tar:
        names = set(tar.getnames())
    assert {"package/dist/index.js", "package/dist/index.d.ts", "package/dist/playwright.js",
            "package/dist/playwright.d.ts", "package/README.md", "package/package.json"} <= names
    assert not any(n.startswith(("package/src/", "package/test/", "package/e2e/")) for n in names)

    app = tmp_path / "app"
    app.mkdir()
    (app / "package.json").write_text(json.dumps({"name": "consumer", "private": True, "type": "module"}))
    installed = run([NPM, "install", str(tarball), "--offline", "--no-audit", "--no-fund"], app)
    assert installed.returncode == 0, installed.stderr
    (app / "use.ts").write_text(
        'import { MockBankid, type Queued } from "mock-bankid";\n'
        'const mock = new MockBankid({ baseUrl: "http://127.0.0.1:8080", realm: "team-a" });\n'
        'const queued: Promise<Queued> = mock.queueLogin("under-18");\n'
        'void queued.catch(() => undefined);\n'
        'console.log(mock.issuer);\n'
    )
    (app / "tsconfig.json").write_text(json.dumps({"compilerOptions": {
        "target": "ES2022", "module": "NodeNext", "moduleResolution": "NodeNext", "strict": True,
        "lib": ["ES2022", "DOM"], "types": [], "outDir": "out"}, "files": ["use.ts"]}))
    compiled = run([str(BIN / "tsc"), "-p", str(app / "tsconfig.json")], app)
    assert compiled.returncode == 0, compiled.stdout
    ran = run([NODE or "node", "out/use.js"], app)
    assert ran.stdout.strip() == "http://127.0.0.1:8080/auth/realms/team-a", ran.stderr


@needs_package
@pytest.mark.e2e
@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="chromium is not installed (scripts/setup-test installs it)")
@pytest.mark.skipif(not BUILT, reason=NOT_BUILT)
def test_the_playwright_suite_signs_in_through_the_bff_in_parallel_workers(tmp_path):
    """The README's recipe: Playwright, 4 workers, every test its own realm, its own persona or
    scenario, signing in through examples/drop-bff; none may see another's sign-in."""
    server = start_server(tmp_path, workers=2)
    report = tmp_path / "report.json"
    try:
        done = run([NODE or "node", str(PKG / "node_modules" / "@playwright" / "test" / "cli.js"), "test",
                    "--workers=4", "--reporter=json"], PKG, timeout=240,
                   env={"MOCK_BANKID_BASE_URL": server.base_url, "PLAYWRIGHT_JSON_OUTPUT_NAME": str(report),
                        "CI": "1"})
    finally:
        server.stop()
    assert report.exists(), done.stdout[-3000:] + done.stderr[-3000:]
    results = json.loads(report.read_text())
    stats = results["stats"]
    failures = [f"{t['title']}: {r.get('error', {}).get('message', r['status'])[:600]}"
                for t, r in _results(results) if r["status"] != "passed"]
    assert done.returncode == 0 and failures == [], "\n".join(failures) or done.stderr[-3000:]
    assert stats["unexpected"] == 0 and stats["flaky"] == 0
    sign_ins = [t for t, _ in _results(results) if t["file"] == "drop-bff.spec.ts"]
    assert len(sign_ins) >= 20 and len({t["title"] for t in sign_ins}) == len(sign_ins)
    assert len({r["parallelIndex"] for _, r in _results(results)}) == 4  # every worker ran tests


def _results(report: dict) -> list[tuple[dict, dict]]:
    """(spec, result) for every test of Playwright's JSON report, in nested suites too."""
    found: list[tuple[dict, dict]] = []

    def walk(suite: dict) -> None:
        for spec in suite.get("specs", []):
            for test in spec["tests"]:
                found.extend((spec, result) for result in test["results"])
        for child in suite.get("suites", []):
            walk(child)

    for suite in report["suites"]:
        walk(suite)
    return found


@pytest.mark.parametrize("name", ["e2e/drop-bff.spec.ts", "e2e/drop-bff.ts", "playwright.config.ts"])
def test_the_readme_quotes_the_suite_it_runs_verbatim(name):
    assert (PKG / name).read_text().strip() in (PKG / "README.md").read_text(), f"README.md must quote {name}"
