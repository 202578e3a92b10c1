"""DuckDB event warehouse: the schema, its migrations, and queries returning polars frames."""

from warehouse.db import StoreResult, Warehouse, WarehouseError, resolve_db_path

__all__ = ["StoreResult", "Warehouse", "WarehouseError", "resolve_db_path"]
