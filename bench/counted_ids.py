"""Import benchmark: new cases whose ids count on from the stored ones, without zeros.

    python bench/counted_ids.py [--events 10000000] [--new 30000] [--runs 2] [--keep DIR]
                                [--year Y | --renamed | --scattered]

Issue keys (PRJ-9, PRJ-10, ...), pull request numbers and many order numbers count up
without leading zeros. This builds a warehouse of about --events demo events whose case
ids are renamed so (CF-1, CF-2, ..., counting on across the generator's chunks, one
count per offering), imported chunk by chunk through the real pipeline as
bench/scale.py imports them. Then, --runs times, each into a fresh copy of that
warehouse and in a process of its own, it imports about --new events of new cases
whose ids count on from the stored ones (the offerings' next orders), and prints:

- the import's seconds and the importing process's peak RSS;
- how many events the derivation was given: the new cases' alone where the import
  derives only the cases it touches, every event of their offerings where it derives
  them whole.

With --year Y the ids hold a year and a number counted from 1 each year instead
(CF-2025-1 ... CF-2025-365610 with --year 2025), and the new cases are the next year's
first orders (CF-2026-1, ...): shorter ids than the stored ones, after them in their
year's order. With --renamed the new cases are numbered from 1 under a key that sorts
before the stored ones (A-CF-1, A-PL-1, ...: a project renamed), so they come before
every stored case of their offering. With --scattered each new case's id is a stored
number written with a leading zero (CF-0123 beside CF-123, the stored numbers drawn at
random), so the new cases fall into as many places among the stored ones as there are
new cases, as ids that do not count up (random numbers, hashes) fall. Keep a warehouse of
each kind in a folder of its own (--renamed and --scattered import into the one without
--year).

A warehouse kept from an earlier run (--keep DIR, then the same DIR again) is imported
into as it is: a release that derives otherwise derives it again first, in a process
of its own, before the timed imports. Asserts nothing: it is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
for folder in (REPO, REPO / "bench"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from scale import _peak_mb, step_import  # noqa: E402
from scale import child as scale_child  # noqa: E402


def counted(
    events_per_chunk: list[int],
    folder: Path,
    seed: int,
    after: dict[str, int],
    year: int | None = None,
    key: str = "",
    scattered: dict[str, int] | None = None,
) -> list[Path]:
    """Demo events in Parquet chunks, their case ids renamed KEYPREFIX-n (KEYPREFIX-YEAR-n
    with `year`), n counting on from the chunks before and from `after` (the highest n
    of each prefix so far, updated). With `scattered` (the highest stored n of each
    prefix) each case's n is one of 1 to that drawn at random instead, each once, and
    written with a leading zero (KEYPREFIX-0n)."""
    import numpy as np
    import polars as pl

    from pipelines.demo_data import generate_events

    paths: list[Path] = []
    for k, size in enumerate(events_per_chunk):
        events = generate_events(size, seed=seed + k)
        parts = pl.col("case_id").str.split_exact("-", 1)
        numbered = events.with_columns(
            _prefix=parts.struct.field("field_0"),
            _n=parts.struct.field("field_1").cast(pl.Int64),
        )
        offsets = pl.DataFrame(
            {"_prefix": list(after), "_after": list(after.values())},
            schema={"_prefix": pl.String, "_after": pl.Int64},
        )
        numbered = numbered.join(offsets, on="_prefix", how="left").with_columns(
            _n=pl.col("_n") + pl.col("_after").fill_null(0)
        )
        for prefix, top in numbered.group_by("_prefix").agg(pl.col("_n").max()).iter_rows():
            after[prefix] = top
        if scattered is not None:
            draw = np.random.default_rng(seed + k)
            drawn = pl.concat(
                pl.DataFrame(
                    {
                        "_prefix": prefix,
                        "_n": np.arange(1, top + 1),
                        "_drawn": draw.choice(scattered[prefix], top, replace=False) + 1,
                    }
                )
                for prefix, top in after.items()
            )
            numbered = numbered.join(drawn, on=["_prefix", "_n"], how="left").with_columns(
                _n=pl.format("0{}", "_drawn")
            )
        path = folder / f"counted-{seed + k:03d}.parquet"
        renamed = (
            pl.format("{}{}-{}", pl.lit(key), "_prefix", "_n")
            if year is None
            else pl.format("{}{}-{}-{}", pl.lit(key), "_prefix", pl.lit(year), "_n")
        )
        numbered.with_columns(case_id=renamed).drop(
            "_prefix", "_n", "_after", "_drawn", strict=False
        ).write_parquet(path)
        paths.append(path)
    return paths


def step_timed_import(db: str, paths: list[str]) -> dict[str, float]:
    """`scale.step_import`, counting the events each derivation is given."""
    from warehouse import derived

    given = [0]
    derive = derived.derive_instances

    def counting(events, *args):  # type: ignore[no-untyped-def]
        given[0] += events.select("case_id").collect().height
        return derive(events, *args)

    derived.derive_instances = counting  # type: ignore[assignment]
    result = step_import(db, paths)
    return result | {"derived_events": given[0], "peak_mb": _peak_mb()}


def step_derive_stale(db: str) -> dict[str, float]:
    """Derive the offerings a release that derives otherwise finds stale, if any."""
    from warehouse import Warehouse
    from warehouse.derived import derive_stale

    started = time.perf_counter()
    with Warehouse.open(db) as wh:
        offerings = derive_stale(wh)
    return {"seconds": time.perf_counter() - started, "offerings": len(offerings)}


STEPS = {"import": step_timed_import, "derive": step_derive_stale}


def child(name: str, *args: object) -> dict:  # type: ignore[type-arg]
    return scale_child(name, *args, script=__file__)


def measure(
    n_events: int,
    n_new: int,
    runs: int,
    folder: Path,
    chunk: int,
    year: int | None,
    renamed: bool = False,
    scattered: bool = False,
) -> None:
    db, numbers = folder / "counted.duckdb", folder / "counted.json"
    parquet = folder / "parquet"
    parquet.mkdir(exist_ok=True)
    sizes = [min(chunk, n_events - i) for i in range(0, n_events, chunk)]
    if not db.exists():
        t = time.perf_counter()
        after: dict[str, int] = {}
        paths = counted(sizes, parquet, 7, after, year)
        numbers.write_text(json.dumps(after))
        built = child("import", db, *paths)
        print(
            f"built: {built['events']:,} events in {time.perf_counter() - t:.1f} s "
            f"(import {built['seconds']:.1f} s, peak RSS {built['peak_mb']:,.0f} MB)"
        )
    else:
        again = child("derive", db)
        if again["offerings"]:
            print(f"derived again, as after an upgrade: {again['seconds']:.1f} s")
    # The offerings' next orders: counting on, or the next year's from 1, or from 1 under
    # a key that sorts first, or stored numbers with a leading zero.
    stored = json.loads(numbers.read_text())
    on = stored if year is None and not renamed and not scattered else {}
    (new,) = counted(
        [n_new],
        parquet,
        7 + len(sizes),
        on,
        None if year is None else year + 1,
        "A-" if renamed else "",
        stored if scattered else None,
    )
    for run in range(runs):
        copy = folder / f"copy-{run}.duckdb"
        shutil.copyfile(db, copy)
        try:
            result = child("import", copy, new)
        finally:
            for extra in folder.glob(f"copy-{run}.duckdb*"):
                shutil.rmtree(extra) if extra.is_dir() else extra.unlink()
        print(
            f"import of {result['events']:,} new events, run {run + 1}: "
            f"{result['seconds']:6.1f} s  (peak RSS {result['peak_mb']:,.0f} MB; "
            f"the derivation was given {result['derived_events']:,} events)"
        )


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--events", type=int, default=10_000_000)
    p.add_argument("--new", type=int, default=30_000)
    p.add_argument("--runs", type=int, default=2)
    p.add_argument("--chunk", type=int, default=5_000_000)
    p.add_argument("--keep", type=Path, help="build the warehouse in this folder and keep it")
    ids = p.add_mutually_exclusive_group()
    ids.add_argument("--year", type=int, help="ids of a year and a number counted from 1")
    ids.add_argument(
        "--renamed", action="store_true", help="new ids under a key that sorts before the stored"
    )
    ids.add_argument(
        "--scattered", action="store_true", help="new ids among the stored ones, at random"
    )
    p.add_argument("--step", nargs="+", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.step:
        name, db, *rest = args.step
        result = STEPS[name](db, rest) if name == "import" else STEPS[name](db)  # type: ignore[operator]
        print(json.dumps(result))
        return
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        measure(*_measured(args, args.keep))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            measure(*_measured(args, Path(tmp)))


def _measured(args: argparse.Namespace, folder: Path) -> tuple:  # type: ignore[type-arg]
    """`measure`'s arguments from the command line's, into `folder`."""
    return (
        args.events,
        args.new,
        args.runs,
        folder,
        args.chunk,
        args.year,
        args.renamed,
        args.scattered,
    )


if __name__ == "__main__":
    main()
