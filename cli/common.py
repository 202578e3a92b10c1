"""What the command lines share: the warehouse option, dates and instants, one offering's
derived cases, the window filter, and JSON on stdout."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from metrics.derived import Derived, derive_all
from metrics.filters import WINDOW_MODES, CaseFilter
from metrics.working_time import Calendar, calendar_problems
from warehouse import Warehouse, WarehouseError, resolve_db_path
from warehouse.derived import load_derivation, load_stored, working_calendars


class CommandError(Exception):
    """The command cannot do what was asked; the message is one line for stderr (exit 2)."""


def add_db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db", help="warehouse file (default: $VSM_DB, else data/warehouse.duckdb)"
    )


def add_json(parser: argparse.ArgumentParser, what: str = "one JSON object") -> None:
    parser.add_argument("--json", action="store_true", help=f"print {what} on stdout")


def day(text: str) -> date:
    """An argparse type: a calendar date, YYYY-MM-DD."""
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from exc


def instant(text: str) -> datetime:
    """An argparse type: an ISO date or instant, UTC unless it carries a zone."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"not an ISO instant (2026-06-01 or 2026-06-01T08:00+02:00): {text!r}"
        ) from exc
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def add_window(parser: argparse.ArgumentParser) -> None:
    """--from/--to (UTC days, both included) and --window (which cases they keep)."""
    parser.add_argument("--from", dest="from_date", type=day, help="first day (UTC), included")
    parser.add_argument("--to", dest="to_date", type=day, help="last day (UTC), included")
    parser.add_argument(
        "--window",
        choices=WINDOW_MODES,
        default="intersecting",
        help="which cases a --from/--to window keeps (default: in progress during it)",
    )


def _midnight(value: date) -> datetime:
    return datetime(value.year, value.month, value.day, tzinfo=UTC)


def window_filter(args: argparse.Namespace) -> CaseFilter:
    """The cases --from/--to/--window select."""
    return CaseFilter(
        window_start=_midnight(args.from_date) if args.from_date else None,
        window_end=_midnight(args.to_date + timedelta(days=1)) if args.to_date else None,
        window_mode=args.window,
    )


def open_existing(db: str | None) -> Warehouse:
    """The warehouse file, which must exist already (a report never creates one)."""
    path = resolve_db_path(db)
    if not path.exists():
        raise CommandError(f"No warehouse at {path}.")
    try:
        return Warehouse.open(path)
    except WarehouseError as exc:
        raise CommandError(str(exc).splitlines()[0]) from exc


def _checked(wh: Warehouse, offering: str) -> None:
    if offering not in wh.offerings():
        raise CommandError(f"No offering {offering!r} in {wh.path}.")


def _as_stored(wh: Warehouse, offering: str, calendar: Calendar | None) -> bool:
    """Whether the offering's stored derivation answers: no other clock asked for, and
    no calendar of its own on (the command counts elapsed time unless told)."""
    return calendar is None and offering not in working_calendars(wh)


def _derived_now(wh: Warehouse, offering: str, calendar: Calendar | None) -> Derived:
    return derive_all(
        wh.events([offering]), wh.catalog(offering), wh.open_items([offering]), calendar=calendar
    )


def offering_cases(db: str | None, offering: str, calendar: Calendar | None = None) -> Derived:
    """Every case of one offering of the warehouse, derived (in working time with `calendar`)."""
    with open_existing(db) as wh:
        _checked(wh, offering)
        if _as_stored(wh, offering, calendar):
            return load_derivation(wh, [offering])  # as stored at the last change
        return _derived_now(wh, offering, calendar)


def offering_frames(
    wh: Warehouse, offering: str, calendar: Calendar | None = None
) -> tuple[pl.LazyFrame, pl.DataFrame]:
    """(steps, cases) of one offering, as `offering_cases` gives them, but with the steps
    scanned lazily from `wh`, which must stay open while they are read: a query reads
    only the columns it uses."""
    _checked(wh, offering)
    if _as_stored(wh, offering, calendar):
        s = load_stored(wh, [offering], in_memory_steps=0)
        return s.instances, s.cases
    d = _derived_now(wh, offering, calendar)
    return d.instances.lazy(), d.cases


def read_json_file(path: str, what: str) -> Any:
    """The JSON document in the file at `path`; a one-line CommandError saying what is wrong
    and where (`what` names the file's role: "calendar", "future state")."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise CommandError(f"No {what} file at {path}.") from None
    except UnicodeDecodeError:
        raise CommandError(f"The {what} file {path} is not UTF-8 text.") from None
    except OSError as exc:
        raise CommandError(f"Cannot read the {what} file {path}: {exc.strerror}.") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CommandError(
            f"The {what} file {path} is not JSON: {exc.msg} at line {exc.lineno}, "
            f"column {exc.colno}."
        ) from None


def add_calendar(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--calendar",
        metavar="FILE.json",
        help="count working time only, with this calendar (docs/REDESIGN.md, Working time)",
    )


def read_calendar(path: str | None) -> Calendar | None:
    """The calendar of `--calendar FILE.json` (None without one); a one-line CommandError
    naming every problem of a bad one."""
    if path is None:
        return None
    obj = read_json_file(path, "calendar")
    problems = calendar_problems(obj)
    if problems:
        raise CommandError(f"The calendar in {path} is not valid: {' '.join(problems)}")
    return Calendar.from_json(obj)


def print_json(document: Any) -> None:
    """Exactly one JSON document on stdout (NaN is refused: undefined figures are null)."""
    json.dump(document, sys.stdout, allow_nan=False)
    sys.stdout.write("\n")


def fail(message: str) -> int:
    print(message.splitlines()[0], file=sys.stderr)
    return 2
