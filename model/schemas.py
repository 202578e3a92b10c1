"""The event model's frames as polars schemas (METRICS.md, "The event model").

- An **instance** is what an import produces: one activity instance of one case
  of one offering, after lifecycle pairing (``INSTANCE_SCHEMA``).
- An **event** is an instance as the warehouse stores it: the same columns plus
  the import that stored it and its ``event_id``, which is also its order in the
  source (``EVENT_SCHEMA``).
- The **activity catalog** says how each activity of an offering counts
  (``CATALOG_SCHEMA``); an import may propose kinds and end flags for the
  statuses it found (``CATALOG_DEFAULT_SCHEMA``).
- An **open item** is the status an unfinished item of a status history is in now:
  a period that has not ended, so not an instance, but the case's current step
  (``OPEN_ITEM_SCHEMA``).
- A **reject** is a row of the source that could not be used, with the reason.
"""

from __future__ import annotations

import polars as pl

UTC_MICROS = pl.Datetime("us", "UTC")
"""Every instant of the model: microseconds, UTC."""

INSTANCE_SCHEMA: dict[str, pl.DataType] = {
    "offering": pl.String(),
    "case_id": pl.String(),
    "activity": pl.String(),
    "start": UTC_MICROS,
    "end": UTC_MICROS,
    "resource": pl.String(),
    "attributes": pl.String(),
    "source_row": pl.Int64(),
}
"""An import's activity instances: ``start`` null when unknown, ``attributes`` a JSON
object of the source's other columns, ``source_row`` the row a person finds in the file."""

INSTANCE_COLUMNS: list[str] = list(INSTANCE_SCHEMA)

EVENT_SCHEMA: dict[str, pl.DataType] = {
    **INSTANCE_SCHEMA,
    "import_id": pl.Int64(),
    "event_id": pl.Int64(),
}
"""A stored instance: ``import_id`` and ``event_id`` are set by the warehouse."""

OPEN_ITEM_SCHEMA: dict[str, pl.DataType] = {
    "offering": pl.String(),
    "case_id": pl.String(),
    "activity": pl.String(),
    "entered": UTC_MICROS,
    "resource": pl.String(),
    "attributes": pl.String(),
    "source_row": pl.Int64(),
}
"""The status an unfinished item is in now (a period that has not ended): its case, the
status (``activity``), when the item entered it (null when the export does not say), who
moved it there, the change's other columns as JSON and its row in the source. It is not
an instance (METRICS.md): it makes the case open, with this status as its current step."""

OPEN_ITEM_STORED_SCHEMA: dict[str, pl.DataType] = {**OPEN_ITEM_SCHEMA, "import_id": pl.Int64()}
"""An open item as the warehouse returns it: the import that stored it added."""

VALUE_CLASSES = ("value-adding", "necessary", "waste", "unclassified")
KINDS = ("work", "waiting", "done")

CATALOG_SCHEMA: dict[str, pl.DataType] = {
    "offering": pl.String(),
    "activity": pl.String(),
    "value_class": pl.String(),
    "kind": pl.String(),
    "standard_minutes": pl.Float64(),
    "is_end_activity": pl.Boolean(),
    "display_order": pl.Int32(),
}
"""One row per (offering, activity): ``value_class`` one of VALUE_CLASSES, ``kind`` one
of KINDS, ``is_end_activity`` null = the default rule of METRICS.md."""

CATALOG_DEFAULT_SCHEMA: dict[str, pl.DataType] = {
    "offering": pl.String(),
    "activity": pl.String(),
    "kind": pl.String(),
    "is_end_activity": pl.Boolean(),
}
"""What an import proposes for the catalog: a status's kind and whether it ends a case."""

REJECT_SCHEMA: dict[str, pl.DataType] = {
    "source_row": pl.Int64(),
    "reason": pl.String(),
    "raw": pl.String(),
}
"""A row that could not be used: where it is, why, and the row itself as JSON."""


def select_schema(frame: pl.DataFrame, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """``frame``'s columns of ``schema``, in its order and types; a missing one is null."""
    return frame.select(
        [
            (pl.col(name) if name in frame.columns else pl.lit(None)).cast(dtype).alias(name)
            for name, dtype in schema.items()
        ]
    )
