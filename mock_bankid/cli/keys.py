"""``mock-bankid keys``: list and rotate the mock's signing keys, show the mock CA."""

from __future__ import annotations

import datetime as _dt
import json
from pathlib import Path
from typing import Any

import click

from mock_bankid.cli._common import one_line_errors
from mock_bankid.core.clock import Clock
from mock_bankid.core.settings import Settings
from mock_bankid.keys import ALGORITHMS, KeyManager

_keys_dir_option = click.option(
    "--keys-dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Directory of the keys (default: MOCK_BANKID_KEYS_DIR, else keys/ in the checkout or, installed, "
    "in the working directory).",
)


def _manager(keys_dir: Path | None) -> KeyManager:
    settings = Settings.from_env(keys_dir=keys_dir)
    # The same clock domain as the server's fixed part (wall clock + MOCK_BANKID_CLOCK_OFFSET), and
    # a grace that covers the longest token lifetime, so the old key outlives what it signed.
    return KeyManager(
        settings.keys_dir,
        Clock(settings.clock_offset),
        rotation_grace=float(max(300, settings.token_ttl)),
    )


def _when(ts: float | None) -> str:
    if ts is None:
        return "-"
    return _dt.datetime.fromtimestamp(ts, tz=_dt.UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def _table(rows: list[dict[str, Any]]) -> str:
    head = ["KID", "ALG", "STATE", "CREATED", "SIGNS FROM", "PUBLISHED UNTIL"]
    body = [
        [r["kid"], r["alg"], r["state"], _when(r["created"]), _when(r["activates_at"]), _when(r["retires_at"])]
        for r in rows
    ]
    widths = [max(len(str(x)) for x in col) for col in zip(head, *body, strict=True)]
    lines = ("  ".join(str(x).ljust(w) for x, w in zip(line, widths, strict=True)) for line in [head, *body])
    return "\n".join(line.rstrip() for line in lines)


def register(group: click.Group) -> None:
    @group.group("keys")
    def keys() -> None:
        """The mock's signing keys (TEST keys of a mock: never trust them for anything real)."""

    @keys.command("list")
    @_keys_dir_option
    @click.option("--json", "as_json", is_flag=True, help="Print JSON (times as epoch seconds).")
    @one_line_errors
    def list_keys(keys_dir: Path | None, as_json: bool) -> None:
        """Show every key with its state: next, current, previous (retiring) or retired.

        Creates the keys first if there are none yet.
        """
        km = _manager(keys_dir)
        rows = km.list_keys()
        if as_json:
            click.echo(json.dumps(rows, indent=2))
        else:
            click.echo(f"keys in {km.keys_dir}  (clock now {_when(km.clock())})")
            click.echo(_table(rows))

    @keys.command("rotate")
    @_keys_dir_option
    @click.option("--alg", type=click.Choice(ALGORITHMS), default="RS256", show_default=True)
    @click.option(
        "--activate-after",
        type=click.FloatRange(min=0),
        default=None,
        help="Seconds until the next key signs (default 0: at once; it has been in the JWKS since it was made).",
    )
    @one_line_errors
    def rotate(keys_dir: Path | None, alg: str, activate_after: float | None) -> None:
        """Rotate as BankID does: next -> current, current -> previous, a new next, the old previous out."""
        km = _manager(keys_dir)
        before = {r["kid"]: r for r in km.list_keys()}
        kid = km.rotate(alg, activate_after)
        rows = {r["kid"]: r for r in km.list_keys()}
        click.echo(kid)
        click.echo(
            f"  {alg} next key signs from {_when(rows[kid]['activates_at'])} ({rows[kid]['state']}); "
            f"in the JWKS since {_when(rows[kid]['created'])}"
        )
        for r in rows.values():
            if r["kid"] == kid or r["alg"] != alg:
                continue
            if r["kid"] not in before:
                click.echo(f"  {r['kid']} published as the new next key")
            elif before[r["kid"]]["state"] != "retired":
                if r["state"] == "retired":
                    click.echo(f"  {r['kid']} left the JWKS")
                elif r["retires_at"] is not None:
                    click.echo(f"  {r['kid']} stays published until {_when(r['retires_at'])}")
                else:
                    click.echo(f"  {r['kid']} is the previous key: still published, verifies what it signed")

    @keys.command("ca")
    @_keys_dir_option
    @click.option("--path", "path_only", is_flag=True, help="Print only the path of the CA certificate file.")
    @one_line_errors
    def ca(keys_dir: Path | None, path_only: bool) -> None:
        """Print the mock CA certificate (PEM) that issued the ES256 key's x5c chain."""
        km = _manager(keys_dir)
        pem = km.ca_certificate_pem()
        if path_only:
            click.echo(str(km.ca_certificate_path))
        else:
            click.echo(f"# {km.ca_certificate_path}  (mock-bankid MOCK CA, NOT BankID)", err=True)
            click.echo(pem.decode("ascii"), nl=False)

