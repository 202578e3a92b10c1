"""Run a command line in-process, as a script would see it: exit status, stdout, stderr."""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass

from cli import main


@dataclass(frozen=True)
class Ran:
    returncode: int
    stdout: str
    stderr: str


def run_cli(*argv: str) -> Ran:
    """`python -m cli ARGV...` without a new interpreter (argparse's errors exit 2)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(argv))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 2
    return Ran(code, out.getvalue(), err.getvalue())
