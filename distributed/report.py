"""The report of one offering (metrics.report's JSON) computed on Spark.

The events of the offering and its open items are read from the Parquet folder the
warehouse exports (warehouse.export) and partitioned so that every case lands whole in
one partition. Each partition then runs the same polars code as the one-machine report:

1. `derive_instances` on its cases (the per-case work: order, waits, rework, ...);
2. its ending counts (`metrics.cases.ending_counts`), which add up: Spark brings them to
   the driver, which merges them into the offering-wide end activities and value
   classification every case's completion depends on;
3. `case_table` of its cases with those offering-wide counts, and the view's filter
   (`metrics.filters.filter_cases`);
4. the aggregates: Spark hands each group (every case of the view; each activity; each
   pair of directly following activities) to one Python worker, which runs
   `case_summary`, `steps` or `transitions` on it, its rows in the order the
   one-machine report reads them, so every figure comes out the same to the last bit.

`metrics.summary.assemble_summary` puts the parts together.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import polars as pl
import pyarrow as pa
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from distributed.arrow import from_spark, spark_schema, to_spark, to_spark_table
from metrics.cases import (
    CASE_SCHEMA,
    ENDING_COUNTS_SCHEMA,
    case_table,
    ending_counts,
    merge_ending_counts,
)
from metrics.derive import CATALOG_COLUMNS, EVENT_COLUMNS, INSTANCE_SCHEMA, derive_instances
from metrics.filters import CaseFilter, filter_cases
from metrics.steps import STEP_SCHEMA, bottleneck, steps
from metrics.summary import CASE_SUMMARY_SCHEMA, assemble_summary, case_summary
from metrics.transitions import TRANSITION_SCHEMA, transitions
from model import in_case_order


class SparkReportError(ValueError):
    """The Parquet folder cannot give the report asked for; the message says why."""


ROW_SCHEMA: dict[str, pl.DataType] = {
    **EVENT_COLUMNS,
    "entered": pl.Datetime("us", "UTC"),
    "is_item": pl.Boolean(),
}
"""An event, or an open item (is_item: its status in `activity`, since `entered`)."""

PART_SCHEMA: dict[str, pl.DataType] = {
    "case_key": pl.Int64(),
    **INSTANCE_SCHEMA,
    "entered": pl.Datetime("us", "UTC"),
    "is_item": pl.Boolean(),
}
"""A partition's derived instances, and its open items carried along for step 3.
`case_key` numbers the cases across partitions (partition << 32 | case_index)."""

VIEW_CASE_SCHEMA: dict[str, pl.DataType] = {"case_key": pl.Int64(), **CASE_SCHEMA}
_STEPS = {k: v for k, v in STEP_SCHEMA.items() if k != "offering"}
_TRANSITIONS = {k: v for k, v in TRANSITION_SCHEMA.items() if k != "offering"}
_ONLY_ITEM = 1 << 62  # the key space of cases that are an open item and nothing else
_ITEM_COLUMNS = ["offering", "case_id", "activity", "entered"]


def _partition() -> int:
    from pyspark import TaskContext

    context = TaskContext.get()
    return context.partitionId() if context else 0


def _read(spark: SparkSession, parquet: str, offering: str) -> tuple[DataFrame, pl.DataFrame]:
    """The offering's events and open items as one Spark frame (ROW_SCHEMA), and its
    catalog."""
    base = parquet.rstrip("/")
    # The files carry `offering` themselves; Spark's own discovery of the folder names
    # would decode their %XX escapes byte by byte and garble a non-ASCII name.
    events = (
        spark.read.option("recursiveFileLookup", "true")
        .parquet(f"{base}/events")
        .where(F.col("offering") == offering)
        .select(
            *EVENT_COLUMNS,
            F.lit(None).cast("timestamp").alias("entered"),
            F.lit(False).alias("is_item"),
        )
    )
    items = (
        spark.read.parquet(f"{base}/open_items.parquet")
        .where(F.col("offering") == offering)
        .select(
            "offering",
            "case_id",
            "activity",
            F.lit(None).cast("timestamp").alias("start"),
            F.lit(None).cast("timestamp").alias("end"),
            F.lit(None).cast("string").alias("resource"),
            F.lit(None).cast("long").alias("event_id"),
            F.col("entered").cast("timestamp"),
            F.lit(True).alias("is_item"),
        )
    )
    catalog = from_spark(
        spark.read.parquet(f"{base}/catalog.parquet")
        .where(F.col("offering") == offering)
        .select(*CATALOG_COLUMNS)
        .toArrow(),
        CATALOG_COLUMNS,
    )
    return events.unionByName(items), catalog


def _derive(rows: DataFrame, catalog: pl.DataFrame, partitions: int) -> DataFrame:
    def derive_partition(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        frame = from_spark(batches, ROW_SCHEMA)
        if not frame.height:
            return
        events = frame.filter(~pl.col("is_item"))
        instances = derive_instances(events.lazy(), catalog.lazy()).collect(engine="in-memory")
        instances = instances.with_columns(
            case_key=pl.lit(_partition() << 32, pl.Int64) + pl.col("case_index").cast(pl.Int64),
            entered=pl.lit(None, pl.Datetime("us", "UTC")),
            is_item=pl.lit(False),
        )
        items = frame.filter(pl.col("is_item")).select(*_ITEM_COLUMNS, "is_item")
        yield from to_spark(pl.concat([instances, items], how="diagonal_relaxed"), PART_SCHEMA)

    by_case = rows.repartition(partitions, "offering", "case_id")
    return by_case.mapInArrow(derive_partition, spark_schema(PART_SCHEMA))


def _instances(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.filter(~pl.col("is_item")).sort("case_index", "seq")


def _merged_counts(parts: DataFrame) -> pl.DataFrame:
    def counts_partition(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        instances = _instances(from_spark(batches, PART_SCHEMA))
        if instances.height:
            yield from to_spark(ending_counts(instances.lazy()).collect(), ENDING_COUNTS_SCHEMA)

    counted = parts.mapInArrow(counts_partition, spark_schema(ENDING_COUNTS_SCHEMA)).toArrow()
    return merge_ending_counts(from_spark(counted, ENDING_COUNTS_SCHEMA).lazy()).collect()


def _view_cases(parts: DataFrame, counts: pl.DataFrame, spec: CaseFilter) -> DataFrame:
    def cases_partition(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        frame = from_spark(batches, PART_SCHEMA)
        if not frame.height:
            return
        instances = _instances(frame)
        items = frame.filter(pl.col("is_item")).select(_ITEM_COLUMNS)
        keys = instances.select("case_index", "case_key").unique("case_index")
        cases = case_table(instances.lazy(), items.lazy(), counts=counts.lazy())
        view = (
            filter_cases(cases, spec)
            .join(keys.lazy(), on="case_index", how="left")
            .with_columns(
                case_key=pl.coalesce(
                    "case_key",
                    pl.lit(_ONLY_ITEM | _partition() << 32, pl.Int64)
                    + pl.col("case_index").cast(pl.Int64),
                )
            )
            .collect(engine="in-memory")
        )
        yield from to_spark(view, VIEW_CASE_SCHEMA)

    return parts.mapInArrow(cases_partition, spark_schema(VIEW_CASE_SCHEMA))


def _in_report_order(frame: pl.DataFrame) -> pl.DataFrame:
    """Instances in the order the one-machine report holds them: by case, then position."""
    return (
        in_case_order(frame.lazy(), before=["offering"], after=["seq"])
        .collect()
        .with_columns(case_index=pl.col("case_key"))
    )


def _head(cases: DataFrame) -> pl.DataFrame:
    def summarise(table: pa.Table) -> pa.Table:
        frame = from_spark(table, VIEW_CASE_SCHEMA)
        # The one-machine case table's order: cases with steps by id, then open items alone.
        ordered = in_case_order(
            frame.lazy(), before=[pl.col("n_instances") == 0, "offering"]
        ).collect()
        return to_spark_table(case_summary(ordered.lazy()).collect(), CASE_SUMMARY_SCHEMA)

    whole = cases.withColumn("_all", F.lit(0)).groupBy("_all")
    head = whole.applyInArrow(summarise, spark_schema(CASE_SUMMARY_SCHEMA)).toArrow()
    if head.num_rows:
        return from_spark(head, CASE_SUMMARY_SCHEMA)
    return case_summary(pl.LazyFrame(schema=CASE_SCHEMA)).collect()


def _steps(instances: DataFrame) -> pl.DataFrame:
    def per_activity(table: pa.Table) -> pa.Table:
        frame = _in_report_order(from_spark(table, PART_SCHEMA))
        return to_spark_table(steps(frame.lazy(), by=()).collect(), _STEPS)

    columns = ["offering", "case_id", "seq", "case_key", "activity", "kind", "is_rework"]
    needed = instances.select(*columns, "process_s", "wait_before_s")
    rows = needed.groupBy("activity").applyInArrow(per_activity, spark_schema(_STEPS))
    return from_spark(rows.toArrow(), _STEPS).sort("typical_position", "activity")


def _transitions(instances: DataFrame) -> pl.DataFrame:
    def per_pair(table: pa.Table) -> pa.Table:
        frame = _in_report_order(from_spark(table, PART_SCHEMA))
        return to_spark_table(transitions(frame.lazy(), by=()).collect(), _TRANSITIONS)

    columns = ["offering", "case_id", "seq", "case_key", "prev_activity", "activity", "start"]
    needed = instances.where(F.col("prev_activity").isNotNull()).select(
        *columns, "transition_wait_s"
    )
    rows = needed.groupBy("prev_activity", "activity").applyInArrow(
        per_pair, spark_schema(_TRANSITIONS)
    )
    return from_spark(rows.toArrow(), _TRANSITIONS).sort(
        ["count", "from_activity", "to_activity"], descending=[True, False, False]
    )


def spark_report(
    spark: SparkSession, parquet: str, offering: str, spec: CaseFilter, partitions: int = 8
) -> tuple[dict[str, Any], str]:
    """`metrics.report.report`'s (figures, PCE basis) for `offering`, from the Parquet
    folder `parquet` (warehouse.export's layout), computed on `spark`."""
    rows, catalog = _read(spark, parquet, offering)
    if rows.where(~F.col("is_item")).limit(1).count() == 0:
        raise SparkReportError(f"No events of the offering {offering!r} in {parquet}.")
    parts = _derive(rows, catalog, partitions).cache()
    try:
        counts = _merged_counts(parts)
        spec = replace(spec, offerings=(offering,))
        cases = _view_cases(parts, counts, spec).cache()
        instances = parts.where(~F.col("is_item"))
        if spec != CaseFilter(offerings=(offering,)):
            instances = instances.join(cases.select("case_key"), "case_key", "left_semi")
        instances = instances.cache()  # read by the steps, the transitions and the count
        head = _head(cases)
        step_rows = _steps(instances)
        figures = assemble_summary(
            head,
            step_rows,
            _transitions(instances),
            bottleneck(step_rows.lazy(), by=()).collect(),
            [offering],
            instances.count(),
        )
        instances.unpersist()
        cases.unpersist()
    finally:
        parts.unpersist()
    basis = head["pce_basis"].item() if head.height else None
    return figures, basis or "flow efficiency"
