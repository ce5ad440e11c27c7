"""The ``mock-bankid`` command.

Each module in this package adds its own commands through ``register(group)``, so a command
group lives beside the feature it drives and this file never needs to change.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys

import click

from mock_bankid import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mock-bankid")
def cli() -> None:
    """mock-bankid: a MOCK of the Norwegian BankID OpenID Connect provider. Not for production."""


for _info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    if not _info.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_info.name}").register(cli)


def main(argv: list[str] | None = None) -> None:
    """Run the command; errors are one clear line and a non-zero exit, never a traceback."""
    try:
        cli.main(args=argv, prog_name="mock-bankid", standalone_mode=True)
    except KeyboardInterrupt:
        sys.exit(130)
    except BrokenPipeError:
        # Python's documented recipe: silence the flush at exit when the reader closed the pipe.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
