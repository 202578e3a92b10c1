"""The future-state map, and how closely completed work follows it.

A **future state** is the stream a team agreed to run: an ordered list of
stages, each one step or a set of steps done in parallel (in any order), some
steps marked optional. Its JSON form:

    {"name": "After the June redesign",
     "stages": ["Quote", ["Formulation", "Sample sent"], "Production"],
     "optional": ["Sample sent"]}

A completed case **conforms** when its work steps (waiting-state instances
left out, METRICS.md), in case order, are the stages in order: every step of
a stage exactly once, in any order within its stage; an optional step once or
not at all; no other step. Each way a case breaks it is a **deviation**:

- `missing`: a step of the future state that is not optional and not in the case;
- `extra`: a step of the case that the future state does not have;
- `repeated`: a step of the future state that occurs more than once;
- `order`: a step whose first occurrence comes after the first occurrence of
  a step of a later stage (it came too late). Repeats are judged as repeats,
  not again as order: a loop back to an earlier step is `repeated`.

A case conforms exactly when it has none of them. `by_week` groups the cases
by the week (Monday, UTC) in which they completed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

from metrics.significance import two_proportion_p
from metrics.stats import conform, json_number
from metrics.summary import STREAMING
from metrics.windows import Windows, split_cases

DEVIATION_KINDS = ("missing", "extra", "repeated", "order")
_KEYS = ("name", "stages", "optional")


@dataclass(frozen=True)
class FutureState:
    """A validated future state (see the module docstring); build it with `from_json`."""

    name: str
    stages: tuple[tuple[str, ...], ...]
    optional: frozenset[str]

    @classmethod
    def from_json(cls, obj: Any) -> FutureState:
        """The future state of a JSON object; ValueError naming every problem."""
        problems = future_state_problems(obj)
        if problems:
            raise ValueError("The future state is not valid: " + " ".join(problems))
        stages = tuple(
            (stage,) if isinstance(stage, str) else tuple(stage) for stage in obj["stages"]
        )
        return cls(obj["name"], stages, frozenset(obj.get("optional", [])))

    def to_json(self) -> dict[str, Any]:
        """The JSON form `from_json` reads (a one-step stage written as the step)."""
        return {
            "name": self.name,
            "stages": [stage[0] if len(stage) == 1 else list(stage) for stage in self.stages],
            "optional": sorted(self.optional),
        }

    @property
    def stage_of(self) -> dict[str, int]:
        """Each step's stage, numbered 1, 2, ... in order."""
        return {step: i for i, stage in enumerate(self.stages, start=1) for step in stage}


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def future_state_problems(obj: Any) -> list[str]:
    """Every reason `obj` is not a future state, in plain sentences (empty when it is one)."""
    example = '["Quote", ["Formulation", "Sample sent"], "Production"]'
    if not isinstance(obj, Mapping):
        return [
            'A future state is a JSON object with "name", "stages" and optionally "optional", '
            f"not {type(obj).__name__}."
        ]
    problems = [
        f'Unknown key {_json(key)}: a future state has only "name", "stages" and "optional".'
        for key in obj
        if key not in _KEYS
    ]
    name = obj.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.append(
            '"name" is missing: give the future state a name, e.g. "After the redesign".'
        )
    stages = obj.get("stages")
    seen: dict[str, int] = {}
    if not isinstance(stages, list) or not stages:
        problems.append(
            f'"stages" must be a list of stages in order, each a step or a list of steps done '
            f"in parallel, e.g. {example}."
        )
    else:
        for number, stage in enumerate(stages, start=1):
            steps = [stage] if isinstance(stage, str) else stage
            if not isinstance(steps, list) or not all(isinstance(s, str) for s in steps):
                problems.append(
                    f"Stage {number} ({_json(stage)}) is neither a step name nor a list of step names."
                )
                continue
            if not steps:
                problems.append(f"Stage {number} is an empty list: give it at least one step.")
            for step in steps:
                if not step.strip():
                    problems.append(f"Stage {number} has a step without a name.")
                elif step in seen:
                    where = (
                        f"twice in stage {number}"
                        if seen[step] == number
                        else f"in stages {seen[step]} and {number}"
                    )
                    problems.append(
                        f"{_json(step)} appears {where}: each step belongs to one stage, once."
                    )
                else:
                    seen[step] = number
    optional = obj.get("optional", [])
    if not isinstance(optional, list) or not all(isinstance(s, str) for s in optional):
        problems.append('"optional" must be a list of step names, e.g. ["Sample sent"].')
    elif isinstance(stages, list) and stages:
        for step in optional:
            if step not in seen:
                problems.append(f"{_json(step)} is marked optional but is in no stage.")
    return problems


CONFORMANCE_CASE_SCHEMA: dict[str, pl.DataType] = {
    "case_index": pl.UInt32(),
    "offering": pl.String(),
    "case_id": pl.String(),
    "last_end": pl.Datetime("us", "UTC"),
    "week": pl.Date(),
    "conforming": pl.Boolean(),
    "missing": pl.List(pl.String()),
    "extra": pl.List(pl.String()),
    "repeated": pl.List(pl.String()),
    "order": pl.List(pl.String()),
}
"""One row per completed case: whether it conforms and its deviations, each a list of
steps (future-state steps in stage order, extra steps in case order); `week` is the
Monday (UTC) of the week it completed in."""


def case_conformance(
    instances: pl.LazyFrame, cases: pl.LazyFrame, future: FutureState
) -> pl.LazyFrame:
    """Conformance of each completed case of a view (CONFORMANCE_CASE_SCHEMA), for drill-down.

    `instances` and `cases` are one view (metrics.filters.apply_filters).
    """
    stage_of = future.stage_of
    # Each future-state step is numbered in stage order (its stage, then its name): a
    # list of these numbers sorted is in the order the deviations are listed, and the
    # per-step work groups and sorts plain integers rather than names.
    ranked = sorted(stage_of, key=lambda step: (stage_of[step], step))
    names = pl.Series("_name", ranked, dtype=pl.String)
    numbers = pl.Series("_code", range(len(ranked)), dtype=pl.UInt32)
    stages = pl.Series("_stage", [stage_of[s] for s in ranked], dtype=pl.UInt32)
    required = [i for i, step in enumerate(ranked) if step not in future.optional]
    done = cases.filter(pl.col("completed")).select("case_index", "offering", "case_id", "last_end")
    work = instances.join(done.select("case_index"), on="case_index", how="semi").filter(
        pl.col("kind") != "waiting"
    )
    wide = pl.UInt64

    def high(column: str) -> pl.Expr:  # case_index · 2³², then a number below 2³²
        return pl.col(column).cast(wide) * pl.lit(2**32, dtype=wide)

    # The steps of the future state by their number alone (no name is carried past the
    # scan, and its stage is looked up per case and step, not per step): at five million
    # steps 0.29 GB at its peak rather than 0.42-0.53 GB, and 5.3-6.0 s rather than 7.4.
    coded = work.select(
        "case_index",
        "seq",
        _code=pl.col("activity").replace_strict(
            names, numbers, default=None, return_dtype=pl.UInt32
        ),
    ).filter(pl.col("_code").is_not_null())
    per_step = (
        coded.group_by(_pair=high("case_index") + pl.col("_code").cast(wide))
        .agg(_n=pl.len(), _first=pl.col("seq").min())
        .select(
            case_index=(pl.col("_pair") // 2**32).cast(pl.UInt32),
            _code=(pl.col("_pair") % 2**32).cast(pl.UInt32),
            _n="_n",
            _first="_first",
        )
        .with_columns(
            _stage=pl.col("_code").replace_strict(numbers, stages, return_dtype=pl.UInt32)
        )
    )
    codes = pl.col("_code").sort()
    # A first occurrence is out of order when an earlier first occurrence has a later
    # stage: the latest stage so far is one running maximum over the first occurrences
    # sorted by case and position, of `case_index · 2³² + stage` (no window per case).
    by_case = high("case_index")
    reach = (by_case + pl.col("_stage").cast(wide)).cum_max().shift(1)
    order = (
        per_step.sort(by_case + pl.col("_first").cast(wide))
        .filter((reach >= by_case) & (reach - by_case > pl.col("_stage").cast(wide)))
        .group_by("case_index")
        .agg(order=codes)
    )
    repeated = per_step.filter(pl.col("_n") > 1).group_by("case_index").agg(repeated=codes)
    present = per_step.group_by("case_index").agg(_present=codes)
    extra = (
        work.filter(~pl.col("activity").is_in(names.implode()))
        .group_by("case_index", "activity")
        .agg(_first=pl.col("seq").min())
        .group_by("case_index")
        .agg(extra=pl.col("activity").sort_by("_first"))
    )
    to_names = pl.element().replace_strict(numbers, names, return_dtype=pl.String)
    empty_codes = pl.lit([], dtype=pl.List(pl.UInt32()))
    frame = (
        done.join(present, on="case_index", how="left")
        .join(extra, on="case_index", how="left")
        .join(repeated, on="case_index", how="left")
        .join(order, on="case_index", how="left")
        .with_columns(
            pl.col("_present", "repeated", "order").fill_null(empty_codes),
            pl.col("extra").fill_null(pl.lit([], dtype=pl.List(pl.String()))),
            _required=pl.lit(required, dtype=pl.List(pl.UInt32())),
        )
        .with_columns(
            missing=pl.col("_required").list.set_difference(pl.col("_present")).list.sort()
        )
        .with_columns(
            pl.col("missing", "repeated", "order").list.eval(to_names),
            week=pl.col("last_end").dt.date().dt.truncate("1w"),
        )
        .with_columns(
            conforming=pl.sum_horizontal(pl.col(kind).list.len() for kind in DEVIATION_KINDS) == 0
        )
        .sort("case_index")
    )
    return conform(frame, CONFORMANCE_CASE_SCHEMA)


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def summarise(per_case: pl.DataFrame) -> dict[str, Any]:
    """`case_conformance`'s rows (with or without `case_index`) as the JSON-ready figures
    of `conformance` (without names)."""
    n = per_case.height
    conforming = int(per_case["conforming"].sum())
    deviations = (
        pl.concat(
            [
                per_case.select("offering", "case_id", pl.col(kind).alias("step"))
                .explode("step")
                .drop_nulls("step")
                .with_columns(kind=pl.lit(kind))
                for kind in DEVIATION_KINDS
            ]
        )
        .group_by("kind", "step")
        .agg(cases=pl.struct("offering", "case_id").n_unique())
        .with_columns(
            _rank=pl.col("kind").replace_strict(
                {k: i for i, k in enumerate(DEVIATION_KINDS)}, return_dtype=pl.Int64
            )
        )
        .sort(["cases", "_rank", "step"], descending=[True, False, False])
    )
    weeks = (
        per_case.group_by("week")
        .agg(cases=pl.len(), conforming=pl.col("conforming").sum())
        .sort("week")
    )
    return {
        "cases": n,
        "conforming": conforming,
        "conforming_share": json_number(_share(conforming, n)),
        "deviations": [
            {"kind": row["kind"], "step": row["step"], "cases": row["cases"]}
            for row in deviations.iter_rows(named=True)
        ],
        "by_week": [
            {
                "week": row["week"].isoformat(),
                "cases": row["cases"],
                "conforming_share": _share(row["conforming"], row["cases"]),
            }
            for row in weeks.iter_rows(named=True)
        ],
    }


def conformance(
    instances: pl.LazyFrame,
    cases: pl.LazyFrame,
    future: FutureState,
    offering: str | None = None,
) -> dict[str, Any]:
    """How closely the view's completed cases follow `future`, as one JSON-ready dict:

    `{"offering", "future_state", "cases", "conforming", "conforming_share",
    "deviations": [{"kind", "step", "cases"}], "by_week": [{"week", "cases",
    "conforming_share"}]}`; deviations most frequent first (`cases` = cases with
    it), weeks oldest first (`week` = the Monday, ISO date).
    """
    per_case = case_conformance(instances, cases, future).collect(engine=STREAMING)
    return {"offering": offering, "future_state": future.name, **summarise(per_case)}


def conformance_before_after(
    instances: pl.LazyFrame,
    cases: pl.LazyFrame,
    future: FutureState,
    offering: str,
    w: Windows,
) -> dict[str, Any]:
    """Conformance before and after a change, for an experiment's page.

    The windows are the experiment's (metrics.windows.Windows): completed cases
    that started in [change − before_days, change) and in [change, change +
    after_days). `difference` is the after share minus the before share, and
    `p_value` the two-sided two-proportion test of the conforming shares.
    """
    split = split_cases(cases.filter(pl.col("offering") == offering), w).select(
        "case_index", "window"
    )
    labelled = cases.join(split, on="case_index", how="inner")
    per_case = (
        case_conformance(instances, labelled, future)
        .join(split, on="case_index", how="left")
        .collect(engine=STREAMING)
    )
    before = summarise(per_case.filter(pl.col("window") == "before").drop("window"))
    after = summarise(per_case.filter(pl.col("window") == "after").drop("window"))
    shares = before["conforming_share"], after["conforming_share"]
    return {
        "offering": offering,
        "future_state": future.name,
        "change": w.change.isoformat(),
        "before": before,
        "after": after,
        "difference": None if None in shares else shares[1] - shares[0],
        "p_value": two_proportion_p(
            before["conforming"], before["cases"], after["conforming"], after["cases"]
        ),
    }


def format_conformance(figures: dict[str, Any], top: int = 10) -> str:
    """A readable text version of `conformance`'s dict."""
    share = figures["conforming_share"]
    lines = [
        f"Offering: {figures['offering']}",
        f"Future state: {figures['future_state']}",
        f"Completed cases: {figures['cases']:,}; following it: {figures['conforming']:,}"
        + ("" if share is None else f" ({share:.1%})"),
        "Deviations (cases):",
        *(f"  {d['kind']:<9} {d['step']}: {d['cases']:,}" for d in figures["deviations"][:top]),
        "By completion week:",
        *(
            f"  {row['week']}: {row['conforming_share']:.0%} of {row['cases']:,}"
            for row in figures["by_week"]
        ),
    ]
    return "\n".join(lines)


if __name__ == "__main__":  # python -m metrics.conformance: the `conformance` command of cli/
    import sys

    from cli import run_command

    sys.exit(run_command("conformance"))
