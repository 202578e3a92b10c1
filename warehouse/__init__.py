"""DuckDB event warehouse: the schema, its migrations, and queries returning polars frames."""

from warehouse.db import (
    CATALOG_SCHEMA,
    EVENT_SCHEMA,
    KINDS,
    VALUE_CLASSES,
    StoreResult,
    Warehouse,
    WarehouseError,
    resolve_db_path,
)

__all__ = [
    "CATALOG_SCHEMA",
    "EVENT_SCHEMA",
    "KINDS",
    "VALUE_CLASSES",
    "StoreResult",
    "Warehouse",
    "WarehouseError",
    "resolve_db_path",
]
