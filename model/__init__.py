"""The ground floor: the event model's frames and the units every layer shares.

Nothing here imports another package of the project; every layer imports from
here, so the columns and types of an event, an instance, a catalog row and a
rejected row are declared once (docs/ARCHITECTURE.md, "Canonical frames").
"""

from model.order import after, case_key, in_case_order, placed
from model.schemas import (
    CATALOG_DEFAULT_SCHEMA,
    CATALOG_SCHEMA,
    EVENT_SCHEMA,
    INSTANCE_COLUMNS,
    INSTANCE_SCHEMA,
    KINDS,
    OPEN_ITEM_SCHEMA,
    OPEN_ITEM_STORED_SCHEMA,
    REJECT_SCHEMA,
    UTC_MICROS,
    VALUE_CLASSES,
    select_schema,
)
from model.units import DAY, HOUR, MINUTE, SHORT, UNITS, WEEK, unit_for

__all__ = [
    "CATALOG_DEFAULT_SCHEMA",
    "CATALOG_SCHEMA",
    "DAY",
    "EVENT_SCHEMA",
    "HOUR",
    "INSTANCE_COLUMNS",
    "INSTANCE_SCHEMA",
    "KINDS",
    "MINUTE",
    "OPEN_ITEM_SCHEMA",
    "OPEN_ITEM_STORED_SCHEMA",
    "REJECT_SCHEMA",
    "SHORT",
    "UNITS",
    "UTC_MICROS",
    "VALUE_CLASSES",
    "WEEK",
    "after",
    "case_key",
    "in_case_order",
    "placed",
    "select_schema",
    "unit_for",
]
