"""The warehouse's events as Parquet files, for engines that run beyond one machine.

    python -m warehouse.export --db PATH --parquet DIR [--offering NAME ...]

runs the `export` command of cli/ (cli/export.py). The folder it writes:

    DIR/events/offering=NAME/data_0.parquet   the events the metrics read, one folder
                                              per offering (each file carries the
                                              `offering` column itself)
    DIR/catalog.parquet                       the activity catalog
    DIR/open_items.parquet                    the status each unfinished item is in now

`python -m metrics.report --engine spark --parquet DIR` reads exactly this layout, from a
local folder or from shared storage a cluster can reach (docs/SCALE.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from warehouse.db import Warehouse

EVENT_COLUMNS = ("offering", "case_id", "activity", "start", "end", "resource", "event_id")
"""What the metrics read of each event (metrics.derive.EVENT_COLUMNS)."""


class ExportError(ValueError):
    """The export cannot be written where asked; the message says why."""


@dataclass(frozen=True)
class Exported:
    folder: Path
    offerings: list[str]
    events: int
    catalog_rows: int
    open_items: int


def export_parquet(
    wh: Warehouse, folder: str | Path, offerings: Sequence[str] | None = None
) -> Exported:
    """Write the events of `offerings` (default: all), the catalog and the open items
    under `folder`, which must not exist yet or be empty: an export never mixes with an
    older one."""
    folder = Path(folder)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise ExportError(f"{folder} already exists and is not an empty folder.")
    known = wh.offerings()
    chosen = list(known if offerings is None else offerings)
    missing = [name for name in chosen if name not in known]
    if missing:
        raise ExportError(f"No offering {missing[0]!r} in {wh.path}.")
    folder.mkdir(parents=True, exist_ok=True)
    columns = ", ".join(f'"{c}"' for c in EVENT_COLUMNS)
    events = wh.scalar("SELECT count(*) FROM events WHERE list_contains(?, offering)", [chosen])
    if events:
        # Spark finds the files by walking the folder and reads `offering` from them, not
        # from the folder names (it would decode their %XX escapes byte by byte).
        wh.copy_to(
            f"SELECT {columns} FROM events WHERE list_contains($offerings, offering) "
            "ORDER BY offering, event_id",
            folder / "events",
            {"offerings": chosen},
            partition_by="offering",
        )
    catalog = wh.catalog()
    catalog = catalog.filter(catalog["offering"].is_in(chosen))
    catalog.write_parquet(folder / "catalog.parquet")
    open_items = wh.open_items(chosen)
    open_items.write_parquet(folder / "open_items.parquet")
    return Exported(folder, chosen, int(events), catalog.height, open_items.height)


if __name__ == "__main__":  # python -m warehouse.export: the `export` command of cli/
    import sys

    from cli import run_command

    sys.exit(run_command("export"))
