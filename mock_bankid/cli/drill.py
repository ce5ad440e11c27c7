"""``mock-bankid drill``: rehearse a relying party against the catalogue in fixtures/drills.toml.

Exit codes are for CI: 0 every case met its expectation, 1 at least one did not, 2 the drill
could not run (bad usage, a broken catalogue or policy, an unreachable mock or relying party).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import NoReturn

import click

from mock_bankid.core.settings import Settings
from mock_bankid.drill.browser import BrowserUnavailable, BrowserWalker
from mock_bankid.drill.catalogue import CATALOGUE_FILE, CatalogueError, Policy, load_catalogue, select
from mock_bankid.drill.mockapi import ControlError, MockAPI, Unreachable
from mock_bankid.drill.providers import RelyingParty, resolve
from mock_bankid.drill.report import RunInfo, as_json, header, junit, row, summary
from mock_bankid.drill.run import DEFAULT_TIMEOUT, Drill, HeadlessWalker, SuccessRule, Verdict, Walker

USAGE_ERROR = 2


def _fail(message: str) -> NoReturn:
    click.echo(f"mock-bankid drill: {message}", err=True)
    sys.exit(USAGE_ERROR)


def register(group: click.Group) -> None:
    @group.command("drill")
    @click.option("--start", metavar="URL",
                  help="The relying party's sign-in URL, e.g. http://localhost:3000/api/auth/bankid.")
    @click.option("--start-vipps", metavar="URL|PATH",
                  help="Where the relying party's Vipps Login sign-in starts (a path: at --start's origin), "
                       "e.g. /api/auth/vipps. The Vipps cases (fallback, one user on both) need it.")
    @click.option("--whoami", metavar="URL|PATH",
                  help="The relying party's whoami (a path: at --start's origin), e.g. /api/me: GET with the "
                       "session cookie answers {\"user_id\": ..., \"auth_provider\": ...}. Asked after every "
                       "sign-in; the cases with then = ... need it.")
    @click.option("--success", metavar="URL|PATH",
                  help="Where a signed-in user lands: a path prefix (/dashboard) or a URL. "
                       "`/` matches only itself. Without it the drill guesses (weaker). A mobile app's "
                       "deep link (drop://auth/done): a walk ends at any redirect into the app, signed in "
                       "when it carries code=.")
    @click.option("--exchange", metavar="URL",
                  help="With a deep-link --success: POST code=<the one-time code> here, as the app does; "
                       "signed in only if it answers 200 (and a second try does not).")
    @click.option("--url", metavar="MOCK_BASE_URL",
                  help="Base URL of the mock (default: MOCK_BANKID_BASE_URL, else http://localhost:<MOCK_BANKID_PORT>).")
    @click.option("--realm", metavar="NAME",
                  help="Arrange the cases in this realm (the relying party uses its issuer); default: the server's.")
    @click.option("--cases", metavar="NAME,...", help="Only these cases (catalogue order).")
    @click.option("--policy", type=click.Path(dir_okay=False, path_type=Path),
                  help="TOML: min_age and the number kinds the relying party accepts (default: 18, every valid kind).")
    @click.option("--catalogue", type=click.Path(dir_okay=False, path_type=Path),
                  help=f"The cases (default: {CATALOGUE_FILE} in MOCK_BANKID_FIXTURES_DIR).")
    @click.option("--junit", "junit_path", type=click.Path(dir_okay=False, path_type=Path),
                  help="Write JUnit XML here: one testcase per case.")
    @click.option("--json", "as_json_flag", is_flag=True, help="Print the verdicts as JSON instead of the table.")
    @click.option("--browser", is_flag=True,
                  help="Walk each sign-in in Chromium through the real login page (needs Playwright).")
    @click.option("--timeout", type=click.FloatRange(min=1), default=DEFAULT_TIMEOUT, show_default=True,
                  help="Seconds one sign-in may take before it counts as timeout.")
    @click.option("--list", "list_only", is_flag=True, help="List the cases and exit.")
    def drill_cmd(start: str | None, start_vipps: str | None, whoami: str | None, success: str | None,
                  exchange: str | None, url: str | None, realm: str | None,
                  cases: str | None, policy: Path | None, catalogue: Path | None, junit_path: Path | None,
                  as_json_flag: bool, browser: bool, timeout: float, list_only: bool) -> None:
        """Rehearse a relying party: every persona, scenario and trap, and how it reacted.

        For each case: arrange who signs in next and the scenario on the mock, open --start with a
        fresh cookie jar, follow every redirect through the mock and back, and judge where it
        ended: signed-in (reached --success), refused (anywhere else below 500), error (the
        relying party answered 500 or more) or timeout. Exit 0 when every case met its
        expectation, 1 when one did not, 2 when the drill could not run.
        """
        settings = Settings.from_env()
        catalogue_path = catalogue or Path(settings.fixtures_dir) / CATALOGUE_FILE
        try:
            chosen = select(load_catalogue(catalogue_path), cases)
            rules = Policy.load(policy)
        except CatalogueError as exc:
            _fail(str(exc))
        if list_only:
            for case in chosen:
                click.echo(f"{case.name.ljust(28)} {case.rehearses}")
            return
        if not start:
            _fail("--start is required: the relying party's sign-in URL (only --list runs without it)")
        if not start.startswith(("http://", "https://")):
            _fail(f"--start must be an http(s) URL, not {start!r}")
        rule = SuccessRule(success, start, exchange)
        if exchange is not None:
            if not rule.app_link:
                _fail("--exchange is for a mobile sign-in: give the app's deep link as --success (drop://auth/done)")
            if not exchange.startswith(("http://", "https://")):
                _fail(f"--exchange must be an http(s) URL, not {exchange!r}")
        if rule.app_link and browser:
            _fail("--browser cannot follow an app's deep link (Chromium has no app to open): "
                  "drill a mobile sign-in headless")
        starts = {"bankid": start}
        if start_vipps:
            starts["vipps"] = resolve(start_vipps, start)
        rp = RelyingParty(starts, resolve(whoami, start) if whoami else None)
        for option, value in (("--start-vipps", starts.get("vipps")), ("--whoami", rp.whoami)):
            if value is not None and not value.startswith(("http://", "https://")):
                _fail(f"{option} must be an http(s) URL or a path, not {value!r}")
        left_out = [c for c in chosen if rp.missing(c, browser)]
        chosen = [c for c in chosen if c not in left_out]
        if left_out and cases:  # named on purpose: say what it lacks rather than skip it
            _fail(f"case {left_out[0].name} {rp.missing(left_out[0], browser)}")
        if not chosen:
            _fail("no case left to run")
        mock = MockAPI(url or settings.base_url, realm=realm)
        walker: Walker = HeadlessWalker(mock, timeout)
        if browser:
            try:
                walker = BrowserWalker(mock, timeout)
            except BrowserUnavailable as exc:
                _fail(str(exc))
        drill = Drill(mock, start, rule, rules, walker, timeout, rp)
        if left_out:
            drill.warnings.append(f"{len(left_out)} cases left out (they need --start-vipps, --whoami or a headless "
                                  f"run): {', '.join(c.name for c in left_out)}")
        try:
            drill.prepare(chosen)
        except (Unreachable, ControlError, CatalogueError) as exc:
            walker.close()
            _fail(str(exc))
        info = RunInfo(start=start, success=rule.describe(), mock=mock.base_url, policy=rules.as_dict(),
                       policy_text=rules.describe(), mode=walker.name, catalogue=str(catalogue_path),
                       warnings=drill.warnings, start_vipps=starts.get("vipps"), whoami=rp.whoami)
        if not as_json_flag:
            for line in header(info):
                click.echo(line)
        began = time.monotonic()

        def show(verdict: Verdict) -> None:
            if not as_json_flag:
                for line in row(verdict):
                    click.echo(line)

        try:
            verdicts = drill.run(chosen, show)
        except Unreachable as exc:
            _fail(f"{exc} (mid-run)")
        seconds = time.monotonic() - began
        if as_json_flag:
            click.echo(as_json(verdicts, info, seconds))
        else:
            click.echo("")
            click.echo(summary(verdicts, seconds))
        if junit_path is not None:
            junit_path.parent.mkdir(parents=True, exist_ok=True)
            junit_path.write_bytes(junit(verdicts, info, seconds))
        sys.exit(0 if all(v.met for v in verdicts) else 1)
