"""DuckDB event warehouse: the schema, its migrations, and queries returning polars frames."""

from warehouse.access import LOCAL, NEEDS, ROLES, Actor, Role
from warehouse.db import PermissionDenied, StoreResult, Warehouse, WarehouseError, resolve_db_path

__all__ = [
    "LOCAL",
    "NEEDS",
    "ROLES",
    "Actor",
    "PermissionDenied",
    "Role",
    "StoreResult",
    "Warehouse",
    "WarehouseError",
    "resolve_db_path",
]
