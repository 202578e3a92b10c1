"""Polars schemas as Spark schemas, and polars frames as the exact Arrow types Spark wants.

Spark checks the Arrow types a Python function hands back exactly: `string`, not polars'
`large_string` or `string_view`; `list<string>`, not `large_list`; and it has no unsigned
integers, so UInt32 travels as a 64-bit integer and is cast back on arrival.
"""

from __future__ import annotations

from collections.abc import Iterator

import polars as pl
import pyarrow as pa
from pyspark.sql import types as T
from pyspark.sql.pandas.types import to_arrow_schema


def spark_type(dtype: pl.DataType) -> T.DataType:
    if dtype == pl.String:
        return T.StringType()
    if dtype == pl.Datetime("us", "UTC"):
        return T.TimestampType()  # microseconds, in the session's time zone (UTC)
    if dtype == pl.Float64:
        return T.DoubleType()
    if dtype == pl.Boolean:
        return T.BooleanType()
    if dtype in (pl.Int64, pl.UInt32):
        return T.LongType()
    if isinstance(dtype, pl.List):
        inner = dtype.inner
        return T.ArrayType(spark_type(inner() if isinstance(inner, type) else inner))
    raise TypeError(f"no Spark type for {dtype}")


def spark_schema(schema: dict[str, pl.DataType]) -> T.StructType:
    return T.StructType([T.StructField(n, spark_type(d), True) for n, d in schema.items()])


def arrow_schema(schema: dict[str, pl.DataType]) -> pa.Schema:
    """The Arrow schema Spark expects back for `schema`."""
    return to_arrow_schema(spark_schema(schema), timezone="UTC", prefers_large_types=False)


def to_spark(frame: pl.DataFrame, schema: dict[str, pl.DataType]) -> Iterator[pa.RecordBatch]:
    """`frame`'s columns of `schema` as record batches of exactly the types Spark expects."""
    target = arrow_schema(schema)
    table = frame.select(target.names).to_arrow(compat_level=pl.CompatLevel.oldest())
    yield from table.cast(target).to_batches(max_chunksize=65_536)


def to_spark_table(frame: pl.DataFrame, schema: dict[str, pl.DataType]) -> pa.Table:
    return pa.Table.from_batches(list(to_spark(frame, schema)), arrow_schema(schema))


def from_spark(
    data: pa.Table | Iterator[pa.RecordBatch], schema: dict[str, pl.DataType]
) -> pl.DataFrame:
    """What Spark handed over (a table, or a partition's batches) with `schema`'s polars
    types (only the columns it has); an empty frame of `schema` when there is nothing."""
    if not isinstance(data, pa.Table):
        batches = [b for b in data if b.num_rows]
        if not batches:
            return pl.DataFrame(schema=schema)
        data = pa.Table.from_batches(batches)
    if not data.num_rows:
        return pl.DataFrame(schema=schema)
    frame = pl.from_arrow(data, rechunk=True)
    assert isinstance(frame, pl.DataFrame)
    return frame.select(pl.col(n).cast(d) for n, d in schema.items() if n in frame.columns)
