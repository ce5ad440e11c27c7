"""``mock-bankid personas`` and ``mock-bankid nnin``: output, exit codes, one-line errors."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from mock_bankid.cli import cli
from mock_bankid.core.clock import Clock
from mock_bankid.people import nnin
from mock_bankid.people.personas import PersonaRegistry

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
ON = "2026-06-15"
TODAY = date(2026, 6, 15)


@pytest.fixture()
def run():
    runner = CliRunner()

    def invoke(*args: str, env: dict | None = None):
        return runner.invoke(cli, list(args), env={"MOCK_BANKID_FIXTURES_DIR": str(FIXTURES), **(env or {})},
                             catch_exceptions=False)

    return invoke


def one_line_error(result) -> str:
    """The command failed with exactly one line of explanation and no traceback."""
    assert result.exit_code != 0
    text = result.output.strip()
    assert "Traceback" not in text
    assert len(text.splitlines()) == 1, text
    assert text.startswith("Error: ")
    return text


def test_personas_table_lists_everyone(run):
    r = run("personas", "--on", ON)
    assert r.exit_code == 0, r.output
    assert r.output.startswith(f"Personas on {ON} (Europe/Oslo)")
    people = PersonaRegistry.load(FIXTURES).all(TODAY)
    lines = r.output.splitlines()
    for p in people:
        row = next(line for line in lines if line.strip().startswith(p.id + " "))
        for column in (p.name, p.kind):
            assert column in row
        assert f"  {','.join(p.providers)}  " in row, row
        assert (p.nnin if len(p.nnin) == 11 and p.nnin.isdigit() else json.dumps(p.nnin)) in row
        age = p.age(TODAY)
        assert f"  {'-' if age is None else age}  " in row
    assert "id  " in lines[3] and re.search(r"  kind  +providers  +purpose$", lines[3]), lines[3]
    assert "  vipps  " in next(line for line in lines if line.strip().startswith("vipps-only "))
    for group in ("adults:", "minors:", "edge:", "malformed:"):
        assert group in lines
    # the ages the table shows are the day's ages
    row = next(line for line in lines if line.strip().startswith("turns-18-today "))
    assert "15060850078" in row and "  18  " in row  # P06 on the reference day


def test_personas_json_and_group(run):
    r = run("personas", "--on", ON, "--json", "--group", "minors")
    data = json.loads(r.output)
    assert {d["group"] for d in data} == {"minors"}
    assert all(d["age"] < 18 for d in data)
    assert {"under-18", "turns-18-tomorrow"} <= {d["id"] for d in data}
    one_line_error(run("personas", "--group", "kids"))
    one_line_error(run("personas", "--on", "yesterday"))


def test_personas_default_date_uses_the_mock_clock(run):
    offset = 400 * 86400
    r = run("personas", env={"MOCK_BANKID_CLOCK_OFFSET": str(offset)})
    expected = Clock(offset).oslo_today()
    assert r.output.startswith(f"Personas on {expected.isoformat()}")
    one_line_error(run("personas", env={"MOCK_BANKID_CLOCK_OFFSET": "soon"}))


def test_personas_show(run):
    r = run("personas", "show", "adult-1985", "--on", ON)
    assert r.exit_code == 0
    p = PersonaRegistry.load(FIXTURES).get("adult-1985", TODAY)
    for text in ("12038500110   (pid / nnin_altsub)", "1985-03-12   (age 41 on 2026-06-15)", p.sub,
                 p.bankid_altsub, p.email, p.phone_number, p.given_name, "fnr (ordinary fødselsnummer)",
                 "12038500110: valid, ordinary fødselsnummer, born 1985-03-12, male"):
        assert text in r.output
    r = run("personas", "show", "impossible-date", "--on", ON)
    assert "none (no birthdate claim)" in r.output and "31.02.1999 does not exist" in r.output


def test_personas_json_and_show_say_who_has_bankid_and_vipps(run):
    data = {d["id"]: d for d in json.loads(run("personas", "--on", ON, "--json").output)}
    assert data["vipps-only"]["providers"] == ["vipps"] and data["adult"]["providers"] == ["bankid", "vipps"]
    assert data["bad-k2"]["providers"] == ["bankid"]
    assert data["vipps-phone-changed"]["previous_phone_number"] == "+4791234567"
    shown = run("personas", "show", "vipps-phone-changed", "--on", ON).output
    assert "providers              bankid, vipps" in shown and "previous_phone_number  +4791234567" in shown
    assert "previous_phone_number" not in run("personas", "show", "adult", "--on", ON).output
    assert "providers      vipps\n" in run("personas", "show", "age:16,providers:vipps", "--on", ON).output


def test_personas_show_any_selector(run):
    r = run("personas", "show", "age:17,kind:tenor", "--on", ON, "--json")
    d = json.loads(r.output)
    assert (d["age"], d["kind"], d["group"]) == (17, "tenor", "minors")
    assert d["nnin_explained"]["valid"] is True
    r = run("personas", "show", "nnin:12345", "--on", ON, "--json")
    d = json.loads(r.output)
    assert (d["nnin"], d["group"], d["nnin_explained"]["valid"]) == ("12345", "malformed", False)
    assert "Did you mean adult-1985" in one_line_error(run("personas", "show", "adult-19855"))
    assert "names nobody" in one_line_error(run("personas", "show", "BID"))


def test_personas_bad_fixtures_are_one_line(run, tmp_path):
    (tmp_path / "personas.toml").write_text("[[persona]]\nid='x'\n", encoding="utf-8")
    msg = one_line_error(run("personas", env={"MOCK_BANKID_FIXTURES_DIR": str(tmp_path)}))
    assert "'purpose' is required" in msg
    msg = one_line_error(run("personas", env={"MOCK_BANKID_FIXTURES_DIR": str(tmp_path / "none")}))
    assert "no personas file" in msg


def test_nnin_generate(run):
    r = run("nnin", "generate", "--age", "17", "--count", "4", "--on", ON)
    numbers = r.output.split()
    assert len(numbers) == len(set(numbers)) == 4
    explained = [nnin.explain(n, TODAY) for n in numbers]
    assert all(e.valid and e.kind == "fnr" and nnin.age_on(e.birthdate, TODAY) == 17 for e in explained)
    assert [e.gender for e in explained] == ["female", "male", "female", "male"]
    assert run("nnin", "generate", "--age", "17", "--count", "4", "--on", ON).output == r.output

    assert run("nnin", "generate", "--born", "1985-03-12", "--gender", "m").output == "12038500110\n"
    assert run("nnin", "generate", "--born", "1987-11-30", "--gender", "F", "--kind", "tenor",
               "--on", ON).output == "30918700079\n"
    assert run("nnin", "generate", "--born", "1990-04-23", "--gender", "m", "--kind", "d",
               "--on", ON).output == "63049000148\n"
    assert run("nnin", "generate", "--born", "1972-12-13", "--gender", "f", "--kind", "nav",
               "--on", ON).output == "13527200029\n"
    assert run("nnin", "generate", "--born", "1982-10-30", "--kind", "2032",
               "--on", ON).output == "30108299939\n"
    fh = run("nnin", "generate", "--kind", "fh", "--count", "2").output.split()
    assert [nnin.explain(x, TODAY).kind for x in fh] == ["fh", "fh"]
    r = run("nnin", "generate", "--born", "2008-06-15", "--gender", "f", "--count", "2", "--index", "1",
            "--on", ON, "-v")
    assert r.output.splitlines()[0].endswith("valid, ordinary fødselsnummer, born 2008-06-15, female")
    assert not r.output.startswith("15060850078")  # --index 1 skips the first (P06)
    d = json.loads(run("nnin", "generate", "--kind", "tenor-dnr", "--json", "--on", ON).output)
    assert d[0]["kind"] == "tenor-dnr" and d[0]["valid"] is True


@pytest.mark.parametrize("args,message", [
    (("--age", "x"), "--age 'x' is not a whole number"),
    (("--age", "17", "--born", "2000-01-01"), "give --age or --born, not both"),
    (("--born", "12.03.1985"), "is not a date"),
    (("--born", "1800-01-01", "--gender", "m"), "outside 1854-2039"),
    (("--kind", "x"), "unknown kind 'x'"),
    (("--gender", "x"), "unknown gender 'x'"),
    (("--count", "0"), "--count must be between 1 and 1000"),
])
def test_nnin_generate_errors(run, args, message):
    assert message in one_line_error(run("nnin", "generate", *args))


def test_nnin_check_exit_status(run):
    r = run("nnin", "check", "12038500110", "30918700079", "--on", ON)
    assert r.exit_code == 0
    assert ("12038500110: valid, ordinary fødselsnummer, born 1985-03-12, male (age 41 on 2026-06-15)"
            in r.output)
    assert "century 1900s, individual number 001" in r.output
    assert "note: month + 80 is a Tenor synthetic test number" in r.output

    r = run("nnin", "check", "12038500110", "12038500111", "--on", ON)
    assert r.exit_code == 1
    assert "'12038500111': NOT valid: k2 (11th digit) is 1, should be 0" in r.output
    assert "note: the valid number with the same first nine digits is 12038500110" in r.output

    r = run("nnin", "explain", "31123999935", "--on", ON)
    assert r.exit_code == 1 and "has not been born yet" in r.output
    assert run("nnin", "explain", "31123999935", "--on", "2040-01-01").exit_code == 0

    d = json.loads(run("nnin", "check", "--json", "--on", ON, "00000000000").output)
    assert d[0]["valid"] is False and "day 00 is not a day" in " ".join(d[0]["problems"])
    assert "give at least one number" in one_line_error(run("nnin", "check"))


def _cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "MOCK_BANKID_FIXTURES_DIR": str(FIXTURES)}
    return subprocess.run([sys.executable, "-m", "mock_bankid.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.forks
def test_real_process_exit_codes_and_no_traceback():
    start = time.monotonic()
    ok = _cli("nnin", "check", "12038500110", "01010050053")
    assert ok.returncode == 0, ok.stderr
    assert "12038500110: valid" in ok.stdout and ok.stderr == ""

    bad = _cli("nnin", "check", "12038500110", "12038A00110")
    assert bad.returncode == 1
    assert "character 6 is 'A', not a digit" in bad.stdout
    assert "Traceback" not in bad.stdout + bad.stderr

    for args in (("nnin", "generate", "--age", "x"), ("personas", "show", "nobody"),
                 ("nnin", "generate", "--born", "2050-01-01", "--gender", "f")):
        err = _cli(*args)
        assert err.returncode not in (0, None)
        assert "Traceback" not in err.stdout + err.stderr
        assert len(err.stderr.strip().splitlines()) == 1 and err.stderr.startswith("Error: ")
    assert time.monotonic() - start < 20
