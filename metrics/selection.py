"""Which cases a number rests on: every figure on every page opens its cases.

A `Selection` names a set of cases of one offering in terms a person reads ("the
completed cases of Custom formulation that ended 2 to 31 Oct 2026 and went through
Sample approval"). It is built where a figure is shown, carried in a link as plain
query parameters, and applied here to the case table, so the list behind a number is
made by the same rule as the number.

Every condition is optional and they combine (all must hold):

- `completed`: completed (True) or open (False) cases only.
- `started`: the case's first start lies in [from, to) (UTC).
- `ended`: the case is completed and its last end lies in [from, to): an open case
  has not ended, whenever its latest step was.
- `open_at`: the case had started by this instant and was not completed before it
  (the "in progress" of a tile).
- `step`: the case contains a (work or status) instance of this step; with `to_step`,
  an instance of `step` directly followed by one of `to_step` (a process-map arrow).
- `first_step` / `last_step`: the case's first / last step is this one (the process
  map's arrows from Start and into End).
- `variant`: the case's sequence of steps is exactly this one.
- `rework`: the case repeats some step (True) or none (False); with `step`, the case
  did that step more than once (True) or exactly once (False). Not with `to_step`.
- `case_ids`: exactly these cases (a finding's cases).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

import polars as pl

from metrics.cases import CASE_SCHEMA
from metrics.stats import conform
from model import UTC_MICROS

VARIANT_SEPARATOR = " → "


@dataclass(frozen=True)
class Selection:
    """A set of cases of one offering (see the module docstring).

    Instants are normalised to UTC; a selection that contradicts itself (an arrow
    without its first step, a span that ends before it starts, open cases that
    ended) is refused with ValueError where it is made.
    """

    offering: str
    completed: bool | None = None
    started: tuple[datetime, datetime] | None = None
    ended: tuple[datetime, datetime] | None = None
    open_at: datetime | None = None
    step: str | None = None
    to_step: str | None = None
    first_step: str | None = None
    last_step: str | None = None
    variant: tuple[str, ...] | None = None
    rework: bool | None = None
    case_ids: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if not self.offering:
            raise ValueError("a selection names its offering")
        if self.step == "" or self.to_step == "":
            raise ValueError("a step is named by a non-empty string")
        if self.to_step is not None and self.step is None:
            raise ValueError("to_step names an arrow: it needs step, the arrow's first step")
        if self.to_step is not None and self.rework is not None:
            raise ValueError("rework of an arrow has no meaning: select the arrow, or the step")
        if self.completed is False and self.ended is not None:
            raise ValueError("open cases have not ended: drop completed=False or ended")
        for name in ("started", "ended"):
            span = getattr(self, name)
            if span is not None:
                lo, hi = _utc(span[0]), _utc(span[1])
                if hi < lo:
                    raise ValueError(f"{name} ends before it starts: {lo} to {hi}")
                object.__setattr__(self, name, (lo, hi))
        if self.open_at is not None:
            object.__setattr__(self, "open_at", _utc(self.open_at))
        for name in ("variant", "case_ids"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, tuple(value))

    def describe(self) -> str:
        """The cases in plain words, e.g. 'completed cases of X that ended 2 to 31 Oct 2026
        and went through Quote'."""
        kind = {True: "completed cases", False: "open cases", None: "cases"}[self.completed]
        head = f"{kind} of {self.offering}"
        if self.case_ids is not None:
            head += f", {len(self.case_ids):,} named one{'s' if len(self.case_ids) != 1 else ''},"
        clauses = []
        if self.open_at is not None:
            clauses.append(f"were in progress at {_moment(self.open_at)} UTC")
        if self.started is not None:
            clauses.append(f"started {_span(self.started)}")
        if self.ended is not None:
            clauses.append(f"ended {_span(self.ended)}")
        if self.step and self.to_step:
            clauses.append(f"where {self.step} was directly followed by {self.to_step}")
        elif self.step:
            clauses.append(
                {
                    True: f"did {self.step} more than once",
                    False: f"did {self.step} exactly once",
                    None: f"went through {self.step}",
                }[self.rework]
            )
        elif self.rework is not None:
            clauses.append("repeated a step" if self.rework else "repeated no step")
        if self.first_step:
            clauses.append(f"began with {self.first_step}")
        if self.last_step:
            clauses.append(f"ended with {self.last_step}")
        if self.variant is not None:
            clauses.append(
                f"whose steps were {VARIANT_SEPARATOR.join(self.variant)}"
                if self.variant
                else "have no step yet"
            )
        if not clauses:
            return head
        # An arrow's clause opens with "where"; every other reads after "that".
        first = clauses[0]
        joined = first if first.startswith(("where ", "whose ")) else f"that {first}"
        rest = clauses[1:]
        if rest:
            joined += (", " + ", ".join(rest[:-1]) if rest[:-1] else "") + f" and {rest[-1]}"
        return f"{head} {joined}"

    def to_params(self) -> dict[str, str]:
        """The selection as `p_`-prefixed query parameters (see `from_params`).

        An empty variant (cases with no step yet) and an empty list of cases are kept as
        an empty value: a link to no case must not open every case.
        """
        out: dict[str, str] = {"p_offering": self.offering}
        if self.completed is not None:
            out["p_done"] = "1" if self.completed else "0"
        for name in ("started", "ended"):
            span = getattr(self, name)
            if span is not None:
                out[f"p_{name}"] = f"{span[0].isoformat()}/{span[1].isoformat()}"
        if self.open_at is not None:
            out["p_open_at"] = self.open_at.isoformat()
        if self.step is not None:
            out["p_step"] = self.step
        if self.to_step is not None:
            out["p_to_step"] = self.to_step
        if self.first_step is not None:
            out["p_first"] = self.first_step
        if self.last_step is not None:
            out["p_last"] = self.last_step
        if self.variant is not None:
            out["p_variant"] = VARIANT_SEPARATOR.join(self.variant)
        if self.rework is not None:
            out["p_rework"] = "1" if self.rework else "0"
        if self.case_ids is not None:
            out["p_cases"] = "\n".join(self.case_ids)
        return out

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> Selection | None:
        """The selection a link carries, or None when it names no offering or is malformed."""
        offering = params.get("p_offering")
        if not offering:
            return None
        try:
            return cls(
                offering=offering,
                completed=_flag(params.get("p_done")),
                started=_span_of(params.get("p_started")),
                ended=_span_of(params.get("p_ended")),
                open_at=_instant(params.get("p_open_at")),
                step=params.get("p_step") or None,
                to_step=params.get("p_to_step") or None,
                first_step=params.get("p_first") or None,
                last_step=params.get("p_last") or None,
                variant=_items(params, "p_variant", VARIANT_SEPARATOR),
                rework=_flag(params.get("p_rework")),
                case_ids=_items(params, "p_cases", "\n"),
            )
        except ValueError:
            return None


PARAMS: tuple[str, ...] = (
    "p_offering",
    "p_done",
    "p_started",
    "p_ended",
    "p_open_at",
    "p_step",
    "p_to_step",
    "p_first",
    "p_last",
    "p_variant",
    "p_rework",
    "p_cases",
)
"""Every query parameter a selection may set (a link clears the others)."""


def _utc(value: datetime) -> datetime:
    if not isinstance(value, datetime):
        raise ValueError(f"an instant is a datetime, not {value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"an instant needs its time zone: {value}")
    return value.astimezone(UTC)


def _day(value: datetime, year: bool = True) -> str:
    return f"{value.day} {value:%b}" + (f" {value:%Y}" if year else "")


def _moment(value: datetime) -> str:
    return f"{_day(value)} {value:%H:%M}"


def _span(span: tuple[datetime, datetime]) -> str:
    """'on 5 Sep 2026', '2 to 31 Oct 2026', '1 Dec 2025 to 31 Jan 2026': whole days name
    their last day (the span ends at the midnight after it); other spans say their times."""
    lo, hi = span
    if lo.time() != time() or hi.time() != time() or hi <= lo:
        return f"{_moment(lo)} to {_moment(hi)} UTC"
    last = hi - timedelta(days=1)
    if last == lo:
        return f"on {_day(lo)}"
    if (lo.year, lo.month) == (last.year, last.month):
        return f"{lo.day} to {_day(last)}"
    return f"{_day(lo, year=lo.year != last.year)} to {_day(last)}"


def _items(params: Mapping[str, str], name: str, separator: str) -> tuple[str, ...] | None:
    """A list parameter: absent is no condition, present but empty is the empty list."""
    if name not in params:
        return None
    text = params[name]
    return tuple(text.split(separator)) if text else ()


def _flag(text: str | None) -> bool | None:
    if text in (None, ""):
        return None
    if text in ("1", "0"):
        return text == "1"
    raise ValueError(text)


def _instant(text: str | None) -> datetime | None:
    if not text:
        return None
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise ValueError(text)
    return value


def _span_of(text: str | None) -> tuple[datetime, datetime] | None:
    if not text:
        return None
    first, _, last = text.partition("/")
    a, b = _instant(first), _instant(last)
    if a is None or b is None:
        raise ValueError(text)
    return a, b


def _in(column: str, span: tuple[datetime, datetime]) -> pl.Expr:
    lo, hi = (pl.lit(t, dtype=UTC_MICROS) for t in span)
    return (pl.col(column) >= lo) & (pl.col(column) < hi)


def select_cases(instances: pl.LazyFrame, cases: pl.LazyFrame, sel: Selection) -> pl.LazyFrame:
    """The rows of `cases` (metrics.cases.CASE_SCHEMA) that `sel` names, in case order.

    `instances` are derive_instances' rows of the same cases (for steps and arrows).
    """
    out = cases.filter(pl.col("offering") == sel.offering)
    if sel.completed is not None:
        out = out.filter(pl.col("completed") == sel.completed)
    if sel.started is not None:
        out = out.filter(_in("first_start", sel.started))
    if sel.ended is not None:
        out = out.filter(pl.col("completed") & _in("last_end", sel.ended))
    if sel.open_at is not None:
        at = pl.lit(sel.open_at, dtype=UTC_MICROS)
        out = out.filter(
            (pl.col("first_start") <= at) & (~pl.col("completed") | (pl.col("last_end") > at))
        )
    if sel.variant is not None:
        wanted = pl.lit(pl.Series([list(sel.variant)], dtype=pl.List(pl.String())))
        out = out.filter(pl.col("variant") == wanted.first())
    if sel.case_ids is not None:
        out = out.filter(pl.col("case_id").is_in(list(sel.case_ids)))
    if sel.first_step is not None:
        out = out.filter(pl.col("variant").list.first() == sel.first_step)
    if sel.last_step is not None:
        out = out.filter(pl.col("variant").list.last() == sel.last_step)
    if sel.step is not None:
        own = instances.filter(pl.col("offering") == sel.offering)
        if sel.to_step is not None:
            hits = own.filter(
                (pl.col("prev_activity") == sel.step) & (pl.col("activity") == sel.to_step)
            )
        elif sel.rework:
            hits = own.filter((pl.col("activity") == sel.step) & pl.col("is_rework"))
        else:
            hits = own.filter(pl.col("activity") == sel.step)
        out = out.join(hits.select("case_index").unique(), on="case_index", how="semi")
        if sel.rework is False:
            again = own.filter((pl.col("activity") == sel.step) & pl.col("is_rework"))
            out = out.join(again.select("case_index").unique(), on="case_index", how="anti")
    elif sel.rework is not None:
        out = out.filter(pl.col("has_rework") == sel.rework)
    return conform(out.sort("case_index"), CASE_SCHEMA)
