"""Which cases a number rests on: every figure on every page opens its cases.

A `Selection` names a set of cases of one offering in terms a person reads ("the
completed cases of Custom formulation that ended 2 to 31 Oct 2026 and went through
Sample approval"). It is built where a figure is shown, carried in a link as plain
query parameters, and applied here to the case table, so the list behind a number is
made by the same rule as the number.

Every condition is optional and they combine (all must hold):

- `completed`: completed (True) or open (False) cases only.
- `started` / `ended`: the case's first start / its last end lies in [from, to) (UTC).
- `open_at`: the case had started by this instant and was not completed before it
  (the "in progress" of a tile).
- `step`: the case contains a (work or status) instance of this step; with `to_step`,
  an instance of `step` directly followed by one of `to_step` (a process-map arrow).
- `first_step` / `last_step`: the case's first / last step is this one (the process
  map's arrows from Start and into End).
- `variant`: the case's sequence of steps is exactly this one.
- `rework`: the case repeats some step (True), or `step` when one is named.
- `case_ids`: exactly these cases (a finding's cases).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import polars as pl

from metrics.cases import CASE_SCHEMA
from metrics.stats import conform
from model import UTC_MICROS

VARIANT_SEPARATOR = " → "


@dataclass(frozen=True)
class Selection:
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

    def describe(self) -> str:
        """The cases in plain words, e.g. 'completed cases of X that ended 2 Oct 2026 to
        31 Oct 2026 and went through Quote'."""
        kind = {True: "completed cases", False: "open cases", None: "cases"}[self.completed]
        parts = [f"{kind} of {self.offering}"]
        if self.open_at is not None:
            parts.append(f"in progress at {self.open_at:%d %b %Y %H:%M} UTC")
        if self.started is not None:
            parts.append(f"that started {_span(self.started)}")
        if self.ended is not None:
            parts.append(f"that ended {_span(self.ended)}")
        if self.step and self.to_step:
            parts.append(f"where {self.step} was directly followed by {self.to_step}")
        elif self.step and self.rework:
            parts.append(f"that did {self.step} more than once")
        elif self.step:
            parts.append(f"that went through {self.step}")
        elif self.rework:
            parts.append("that repeat a step")
        if self.first_step:
            parts.append(f"that began with {self.first_step}")
        if self.last_step:
            parts.append(f"whose last step was {self.last_step}")
        if self.variant is not None:
            parts.append(f"whose steps were {VARIANT_SEPARATOR.join(self.variant) or '(none yet)'}")
        if self.case_ids is not None:
            parts.append(f"({len(self.case_ids):,} named cases)")
        return " ".join(parts)

    def to_params(self) -> dict[str, str]:
        """The selection as `p_`-prefixed query parameters (see `from_params`)."""
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
                variant=(
                    tuple(params["p_variant"].split(VARIANT_SEPARATOR))
                    if params.get("p_variant")
                    else None
                ),
                rework=_flag(params.get("p_rework")),
                case_ids=tuple(params["p_cases"].split("\n")) if params.get("p_cases") else None,
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


def _span(span: tuple[datetime, datetime]) -> str:
    return f"{span[0]:%d %b %Y} to {span[1]:%d %b %Y}"


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
        out = out.filter(_in("last_end", sel.ended))
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
    elif sel.rework is not None:
        out = out.filter(pl.col("has_rework") == sel.rework)
    return conform(out.sort("case_index"), CASE_SCHEMA)
