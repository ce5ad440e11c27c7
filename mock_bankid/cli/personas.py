"""``mock-bankid personas`` and ``mock-bankid nnin``: who can sign in, and what a number means.

Options are parsed here rather than by click types so that every mistake is one line
("Error: ...") and never a usage dump or a traceback.
"""

from __future__ import annotations

import json
import shutil
import sys
from datetime import date
from typing import TYPE_CHECKING, Any

import click

from mock_bankid.cli._common import one_line_errors
from mock_bankid.people import nnin

if TYPE_CHECKING:
    from mock_bankid.people.personas import PersonaRegistry

TABLE_COLUMNS = ("id", "name", "number", "age", "kind", "providers", "purpose")


def _today(on: str | None) -> date:
    """``--on`` if given, else today in Europe/Oslo on the mock's clock (its offset included)."""
    if on:
        try:
            return date.fromisoformat(on.strip())
        except ValueError:
            raise ValueError(f"--on {on!r} is not a date (use YYYY-MM-DD)") from None
    from mock_bankid.core.clock import Clock
    from mock_bankid.core.settings import Settings

    return Clock(Settings.from_env().clock_offset).oslo_today()


def _registry() -> PersonaRegistry:
    from mock_bankid.core.settings import Settings
    from mock_bankid.people.personas import PersonaRegistry

    return PersonaRegistry.load(Settings.from_env().fixtures_dir)


def _show_number(number: str) -> str:
    """Numbers print bare when they are 11 ASCII digits, quoted otherwise (so a space shows)."""
    if len(number) == 11 and number.isascii() and number.isdigit():
        return number
    return json.dumps(number, ensure_ascii=False)


def _int_option(value: str, name: str, lo: int, hi: int) -> int:
    try:
        n = int(value.strip())
    except ValueError:
        raise ValueError(f"{name} {value!r} is not a whole number") from None
    if not lo <= n <= hi:
        raise ValueError(f"{name} must be between {lo} and {hi}, not {n}")
    return n


def _emit_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def _table(rows: list[list[str]], last_free: bool) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    out = []
    room = None
    if last_free and sys.stdout.isatty():
        room = max(30, shutil.get_terminal_size().columns - sum(widths) - 2 * len(widths))
    for r in rows:
        last = r[-1]
        if room is not None and len(last) > room:
            last = last[: room - 1] + "…"
        out.append("  ".join(c.ljust(w) for c, w in zip(r[:-1], widths, strict=True)) + "  " + last)
    return [line.rstrip() for line in out]


# --- personas -----------------------------------------------------------------------------------

@click.group("personas", invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--on", metavar="YYYY-MM-DD", help="Resolve recipes for this date (default: today in Oslo).")
@click.option("--group", "group_", metavar="GROUP", help="Only adults, minors, edge or malformed.")
@click.pass_context
@one_line_errors
def personas_cmd(ctx: click.Context, as_json: bool, on: str | None, group_: str | None) -> None:
    """The fixture personas: id, name, number, age, kind, providers (bankid, vipps), purpose."""
    if ctx.invoked_subcommand is not None:
        return
    from mock_bankid.people.personas import GROUPS

    if group_ and group_ not in GROUPS:
        raise ValueError(f"--group must be one of {', '.join(GROUPS)}, not {group_!r}")
    today = _today(on)
    people = [p for p in _registry().all(today) if not group_ or p.group == group_]
    if as_json:
        _emit_json([p.as_dict(today) for p in people])
        return
    click.echo(f"Personas on {today.isoformat()} (Europe/Oslo). Details: mock-bankid personas show ID")
    for g in GROUPS:
        members = [p for p in people if p.group == g]
        if not members:
            continue
        rows = [list(TABLE_COLUMNS)]
        for p in members:
            age = p.age(today)
            rows.append([p.id, p.name, _show_number(p.nnin), "-" if age is None else str(age),
                         p.kind, ",".join(p.providers), p.purpose])
        click.echo(f"\n{g}:")
        for line in _table(rows, last_free=True):
            click.echo("  " + line)


@personas_cmd.command("show")
@click.argument("selector")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--on", metavar="YYYY-MM-DD", help="Resolve recipes for this date (default: today in Oslo).")
@one_line_errors
def personas_show(selector: str, as_json: bool, on: str | None) -> None:
    """Everything about one persona: an id, a number (nnin:...), or a recipe (age:17,kind:tenor)."""
    today = _today(on)
    p = _registry().require(selector, today)
    exp = nnin.explain(p.nnin, today)
    if as_json:
        _emit_json({**p.as_dict(today), "nnin_explained": exp.as_dict()})
        return
    age = p.age(today)
    born = p.birthdate.isoformat() if p.birthdate else "none (no birthdate claim)"
    fields = [
        ("id", p.id), ("purpose", p.purpose), ("group", p.group),
        ("name", p.name), ("given_name", p.given_name), ("family_name", p.family_name),
        ("nnin", f"{_show_number(p.nnin)}   (pid / nnin_altsub)"),
        ("kind", p.kind if p.kind == "malformed" else f"{p.kind} ({nnin.kind_name(p.kind)})"),
        ("birthdate", born + (f"   (age {age} on {today.isoformat()})" if age is not None else "")),
        ("gender", p.gender or "none"),
        ("sub", p.sub), ("bankid_altsub", p.bankid_altsub),
        ("providers", ", ".join(p.providers)),
        ("email", p.email), ("phone_number", p.phone_number),
        *([("previous_phone_number", p.previous_phone_number)] if p.previous_phone_number else []),
        ("address", p.address["formatted"].replace("\n", ", ") + f" ({p.address['country']})"),
        ("scenario", p.scenario or "none"),
        ("number check", exp.summary()),
    ]
    fields += [("  note", n) for n in exp.notes]
    width = max(len(k) for k, _ in fields)
    for k, v in fields:
        click.echo(f"{k.ljust(width)}  {v}")


# --- nnin ---------------------------------------------------------------------------------------

@click.group("nnin")
def nnin_cmd() -> None:
    """Make and check Norwegian identity numbers (fødselsnummer, D, H, Tenor, FH)."""


@nnin_cmd.command("generate")
@click.option("--age", metavar="N", help="Age in whole years today (default 35).")
@click.option("--born", metavar="YYYY-MM-DD", help="Birth date (instead of --age).")
@click.option("--kind", default="fnr", show_default=True,
              help="fnr|ordinary, dnr|d, hnr|h|nav, tenor, tenor-dnr, hnr-dnr, fnr-2032|2032, fh.")
@click.option("--gender", metavar="m|f", help="Default: alternate f, m, f, ...")
@click.option("--count", default="1", metavar="N", show_default=True, help="How many numbers (1-1000).")
@click.option("--index", default="0", metavar="I", show_default=True,
              help="Skip the first I valid numbers (numbers are made lowest individual number first).")
@click.option("--on", metavar="YYYY-MM-DD", help="Count --age from this date (default: today in Oslo).")
@click.option("--verbose", "-v", is_flag=True, help="Explain each number.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@one_line_errors
def nnin_generate(age: str | None, born: str | None, kind: str, gender: str | None, count: str,
                  index: str, on: str | None, verbose: bool, as_json: bool) -> None:
    """Valid synthetic numbers, one per line; the same options give the same numbers on the same day."""
    today = _today(on)
    n = _int_option(count, "--count", 1, 1000)
    start = _int_option(index, "--index", 0, 10_000)
    kind_ = nnin.normalise_kind(kind)
    g = nnin.normalise_gender(gender)
    if age is not None and born is not None:
        raise ValueError("give --age or --born, not both")
    if born is not None:
        try:
            birthdate = date.fromisoformat(born.strip())
        except ValueError:
            raise ValueError(f"--born {born!r} is not a date (use YYYY-MM-DD)") from None
    else:
        years = _int_option(age, "--age", 0, 172) if age is not None else 35
        # Half a year past the birthday: clearly that age, not a boundary case (use --born for those).
        birthdate = nnin.add_years(today, -years) - (date(2001, 7, 2) - date(2001, 1, 1))
        if nnin.age_on(birthdate, today) != years:  # pragma: no cover - arithmetic guard
            raise ValueError(f"could not place a birth date for age {years}")
    numbers = []
    for i in range(n):
        if kind_ == "fh":
            numbers.append(nnin.generate_fh(start + i))
        elif kind_.endswith("-2032"):
            numbers.append(nnin.generate(birthdate, None, kind_, start + i))
        elif g:
            numbers.append(nnin.generate(birthdate, g, kind_, start + i))
        else:
            numbers.append(nnin.generate(birthdate, nnin.GENDERS[1 - i % 2], kind_, start + i // 2))
    explained = [nnin.explain(x, today) for x in numbers]
    if as_json:
        _emit_json([e.as_dict() for e in explained])
        return
    for e in explained:
        click.echo(e.summary() if verbose else e.number)


def _check(numbers: tuple[str, ...], on: str | None, as_json: bool) -> None:
    if not numbers:
        raise ValueError("give at least one number, e.g. mock-bankid nnin check 12038500110")
    today = _today(on)
    explained = [nnin.explain(x, today) for x in numbers]
    if as_json:
        _emit_json([e.as_dict() for e in explained])
    else:
        for e in explained:
            line = e.summary()
            if e.valid and e.birthdate and e.birthdate <= today:
                line += f" (age {nnin.age_on(e.birthdate, today)} on {today.isoformat()})"
            click.echo(line)
            if e.century:
                click.echo(f"    century {e.century}s, individual number {e.individual}")
            for note in e.notes:
                click.echo(f"    note: {note}")
    if not all(e.valid for e in explained):
        sys.exit(1)


_CHECK_HELP = ("Explain numbers: kind, birth date, century, gender, or exactly why one is not valid. "
               "Exit status 0 only when every number is valid, 1 otherwise.")


@nnin_cmd.command("check", help=_CHECK_HELP)
@click.argument("numbers", nargs=-1)
@click.option("--on", metavar="YYYY-MM-DD", help="Judge future birth dates against this date.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@one_line_errors
def nnin_check(numbers: tuple[str, ...], on: str | None, as_json: bool) -> None:
    _check(numbers, on, as_json)


@nnin_cmd.command("explain", help=_CHECK_HELP + " (Same as check.)")
@click.argument("numbers", nargs=-1)
@click.option("--on", metavar="YYYY-MM-DD", help="Judge future birth dates against this date.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@one_line_errors
def nnin_explain(numbers: tuple[str, ...], on: str | None, as_json: bool) -> None:
    _check(numbers, on, as_json)


def register(group: click.Group) -> None:
    group.add_command(personas_cmd)
    group.add_command(nnin_cmd)
