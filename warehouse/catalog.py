"""The activity catalog, one activity at a time: what a script sets, and what it reads.

    python -m warehouse.catalog --db PATH set --offering NAME --activity STEP
        [--value-class value-adding|necessary|waste|unclassified] [--kind work|waiting|done]
        [--standard-minutes M|none] [--ends-case true|false|default]
    python -m warehouse.catalog --db PATH list [--offering NAME] [--json]

(the `catalog` command of cli/: cli/catalog.py). An activity is named by its
offering and its name, never by its position in a list, so a script keeps
working when the catalog grows. Only the fields given change; the change is
one audited write ("edit catalog") and, like every catalog edit, changes the
data version so the pages recompute.
"""

from __future__ import annotations

import math
from enum import Enum
from typing import Any, Literal

import polars as pl

from model import KINDS, VALUE_CLASSES
from warehouse.db import Warehouse, WarehouseError


class Keep(Enum):
    """Leave a field as it is (None means something: no standard, the default end rule)."""

    KEEP = "keep"


KEEP = Keep.KEEP


def catalog_offerings(wh: Warehouse) -> list[str]:
    """The offerings that have a catalog."""
    return wh.read("SELECT DISTINCT offering FROM activities ORDER BY offering")[
        "offering"
    ].to_list()


def activity_row(wh: Warehouse, offering: str, activity: str) -> dict[str, Any]:
    """One activity's catalog row (model.CATALOG_SCHEMA); refuses an unknown offering or
    activity with one line."""
    if offering not in catalog_offerings(wh):
        raise WarehouseError(f"No offering {offering!r} in the catalog of {wh.path}.")
    rows = wh.catalog(offering).filter(pl.col("activity") == activity)
    if rows.height == 0:
        raise WarehouseError(f"No activity {activity!r} in the catalog of {offering!r}.")
    return rows.row(0, named=True)


def set_activity(
    wh: Warehouse,
    offering: str,
    activity: str,
    *,
    value_class: str | None = None,
    kind: str | None = None,
    standard_minutes: float | Literal[Keep.KEEP] | None = KEEP,
    ends_case: bool | Literal[Keep.KEEP] | None = KEEP,
) -> dict[str, Any]:
    """Set some fields of one activity of an offering's catalog; returns its row after.

    `value_class` and `kind` None leave them as they are; `standard_minutes` None
    removes the standard; `ends_case` None returns the activity to the default rule
    of METRICS.md (an end activity when it is the last step of most cases).
    """
    activity_row(wh, offering, activity)
    fields: dict[str, Any] = {}
    if value_class is not None:
        if value_class not in VALUE_CLASSES:
            raise WarehouseError(
                f"Unknown value class {value_class!r}: use one of {', '.join(VALUE_CLASSES)}."
            )
        fields["value_class"] = value_class
    if kind is not None:
        if kind not in KINDS:
            raise WarehouseError(f"Unknown kind {kind!r}: use one of {', '.join(KINDS)}.")
        fields["kind"] = kind
    if standard_minutes is not KEEP:
        if standard_minutes is not None and (
            not math.isfinite(standard_minutes) or standard_minutes < 0
        ):
            raise WarehouseError(
                f"Standard minutes must be a number of 0 or more, not {standard_minutes}."
            )
        fields["standard_minutes"] = standard_minutes
    if ends_case is not KEEP:
        fields["is_end_activity"] = ends_case
    if fields:
        # A kind set by a person is checked: the Data page stops asking about it, as it does
        # after any other catalog edit.
        checked = ", auto_kind = false" if "kind" in fields else ""
        assignments = ", ".join(f"{name} = ?" for name in fields) + checked
        with wh.write("edit catalog", f"{offering}: {activity}", fields) as cur:
            cur.execute(
                f"UPDATE activities SET {assignments} WHERE offering = ? AND activity = ?",
                [*fields.values(), offering, activity],
            ).complete()
            Warehouse.bump_catalog_version(cur)
            Warehouse.rederive(cur, [offering])
    return activity_row(wh, offering, activity)


def catalog_rows(wh: Warehouse, offering: str | None = None) -> pl.DataFrame:
    """The catalog (of one offering, which must exist), in each offering's usual order."""
    if offering is not None and offering not in catalog_offerings(wh):
        raise WarehouseError(f"No offering {offering!r} in the catalog of {wh.path}.")
    return wh.catalog(offering)


if __name__ == "__main__":  # python -m warehouse.catalog: the `catalog` command of cli/
    import sys

    from cli import run_command

    sys.exit(run_command("catalog"))
