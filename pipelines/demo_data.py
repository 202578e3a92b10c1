"""Seeded demo data: a year of a contract manufacturer's value streams.

The demo, the tests, the docs and the benchmarks all use this one generator
(Datasette's habit), so every number the dashboard shows on the demo can be
reproduced from a seed. The story: a contract manufacturer tracks three
offerings in Monday.com, from the first sales contact to the invoice:

- "Custom formulation": a sample loop (rejected samples go back to the lab),
  two purchasing steps that overlap, and an occasional QC failure.
- "Private label fulfillment": a label-approval loop.
- "Reverse engineering": a customer-approval loop on the trial batch.

Waiting dominates, as in most real streams (aggregate wait : process time is
about 5 : 1, flow efficiency about 15–20 %). Starts fall in working hours, so
nights and weekends show up as waits, not as work.

Two changes are baked in so the experiments page has something real to find
(they are exported as `DemoData.changes`, with the verdict they should get):

1. Custom formulation, from `CHANGE_1_AT`: samples are approved on a video call
   instead of being couriered, so the wait before "Sample approval" shrinks and
   median lead time falls by a quarter to a third. Rework is unchanged.
2. Private label fulfillment, from `CHANGE_2_AT`: a second label designer
   clears the label-approval queue, but purchasing cannot keep up, so the
   waiting only moves to "Materials": the bottleneck moves, lead time does not.

Open cases are those still running at `now`: an instance that has not ended by
`now` is not emitted (as METRICS.md treats an unfinished step), so the end
activity "Invoice" appears only on completed cases.

Everything is drawn per step for all cases at once with numpy, so ten million
events take seconds (`generate_events` is the benchmark entry point).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl

from model import INSTANCE_COLUMNS

__all__ = [
    "CHANGE_1_AT",
    "CHANGE_2_AT",
    "DEMO_NOW",
    "END_ACTIVITY",
    "EVENT_COLUMNS",
    "DemoChange",
    "DemoData",
    "generate_demo",
    "generate_events",
]

DEMO_NOW = datetime(2026, 10, 31, 17, 0, tzinfo=UTC)
"""The fixed "now" of the demo: the data never depends on the wall clock."""

CHANGE_1_AT = datetime(2026, 6, 1, tzinfo=UTC)
CHANGE_2_AT = datetime(2026, 8, 1, tzinfo=UTC)
END_ACTIVITY = "Invoice"

EVENT_COLUMNS = (*INSTANCE_COLUMNS[:6], "customer", "product_family", "order_size")
"""The generator's table: the event model's columns, then the demo's attributes."""

_US_PER_MIN = 60_000_000
_US_PER_HOUR = 60 * _US_PER_MIN
_US_PER_DAY = 24 * _US_PER_HOUR
_WORK_START_H = 8
_WORK_END_H = 17
_ARRIVAL_DAYS = 365
_OWNER = "{owner}"
"""Resource placeholder: the case's account manager (one salesperson per case)."""

_SALES = ("Maya (Sales)", "Tom (Sales)", "Priya (Sales)", "Lukas (Sales)")
_PURCHASING = ("Jonas (Purchasing)", "Elif (Purchasing)")
_SIZE_LABELS = ("small", "medium", "large")
_SIZE_PROBS = (0.45, 0.4, 0.15)
_SIZE_FACTORS = np.array([0.6, 1.0, 1.7])
"""How much longer production takes for a medium or large order."""


@dataclass(frozen=True)
class DemoChange:
    """A process change baked into the demo data, with the verdict it should get."""

    name: str
    offering: str
    changed_at: datetime
    description: str
    hypothesis: str
    expected_verdict: str


@dataclass
class DemoData:
    """The demo's event log, its activity catalog, the changes in it, and its "now"."""

    events: pl.DataFrame
    catalog: pl.DataFrame
    changes: list[DemoChange]
    now: datetime


@dataclass(frozen=True)
class _Step:
    """One step of an offering's main path.

    `wait_h` and `proc_min` are medians of lognormal draws: the wait before the
    step (from the end of the previous one) and its process time.
    """

    activity: str
    value_class: str
    wait_h: float
    proc_min: float
    resources: tuple[str, ...]
    wait_sigma: float = 0.7
    proc_sigma: float = 0.5
    parallel: bool = False
    """Starts while the previous step runs, from the same point, instead of after it."""
    size_scaled: bool = False
    """Process time grows with the order size."""


@dataclass(frozen=True)
class _Loop:
    """A rework loop: after `last`, with probability `p`, the block `first`..`last` repeats."""

    first: str
    last: str
    p: float
    max_repeats: int


@dataclass(frozen=True)
class _Effect:
    """The change's effect on the wait before one step, where the change applies.

    The change applies to an instance of the trigger step (the first step in
    `_Offering.effects`) that becomes ready at or after the change instant, and
    to the steps after it up to the next instance of the trigger: a sample
    sent after the change is approved on video even if the case began before
    it, and a label drawn by the second designer is approved on the new terms.
    """

    activity: str
    wait_factor: float
    added_resources: tuple[str, ...] = ()
    moves_to: str | None = None
    """Where the wait this step no longer has goes instead, in the same case.

    Adding each case's own saved wait to a later step (rather than drawing that
    step's wait from a longer distribution) makes "the queue only moved" exact:
    the case's total wait, and so its lead time, is unchanged but for the
    working-hours rounding.
    """


@dataclass(frozen=True)
class _Offering:
    """One value stream: its main path, loops, case attributes and baked-in change."""

    name: str
    prefix: str
    n_cases: int
    steps: tuple[_Step, ...]
    loops: tuple[_Loop, ...]
    product_families: tuple[str, ...]
    customers: tuple[str, ...]
    change: DemoChange | None = None
    effects: tuple[_Effect, ...] = ()


_CHANGE_1 = DemoChange(
    name="Sample approval by video call",
    offering="Custom formulation",
    changed_at=CHANGE_1_AT,
    description="Sample approval by video call instead of courier",
    hypothesis=(
        "Approving samples with the customer on a video call removes the courier "
        "round trip, so custom-formulation orders finish sooner."
    ),
    expected_verdict="faster",
)

_CHANGE_2 = DemoChange(
    name="Second label designer",
    offering="Private label fulfillment",
    changed_at=CHANGE_2_AT,
    description="Second label designer added",
    hypothesis=(
        "A second label designer clears the label-approval queue, so "
        "private-label orders ship sooner."
    ),
    expected_verdict="waiting moved",
)

_CUSTOMERS = (
    "Alpine Naturals",
    "BrightLeaf Cosmetics",
    "Coastal Wellness",
    "Dermaluxe",
    "Evergreen Labs",
    "FitFuel Nutrition",
    "Glow & Co",
    "Harbor Home Care",
    "Iris Botanicals",
    "Juniper Health",
    "Kestrel Sports",
    "Lumen Skin",
    "Meadow Pet Care",
    "Northwind Pharma",
    "Oakridge Organics",
    "PureWave Beverages",
    "Quill Beauty",
    "Riverstone Retail",
    "Solace Spa",
    "Terra Verde",
)

_OFFERINGS = (
    _Offering(
        name="Custom formulation",
        prefix="CF",
        n_cases=1200,
        steps=(
            _Step("Sales inquiry", "necessary", 0.0, 30, (_OWNER,)),
            _Step("Quote", "necessary", 16, 180, (_OWNER,)),
            _Step("Order confirmed", "necessary", 40, 20, (_OWNER,)),
            _Step("Formulation", "value-adding", 30, 3000, ("Lab team A", "Lab team B")),
            # Transport, one of lean's wastes: it exists only because the
            # customer must hold the sample to approve it.
            _Step("Sample sent", "waste", 6, 45, ("Shipping desk",)),
            _Step("Sample approval", "necessary", 340, 60, (_OWNER,), wait_sigma=0.5),
            _Step("Raw materials ordered", "necessary", 20, 240, _PURCHASING),
            _Step("Packaging ordered", "necessary", 0.0, 180, _PURCHASING, parallel=True),
            _Step(
                "Production",
                "value-adding",
                90,
                3600,
                ("Line 1", "Line 2", "Line 3"),
                size_scaled=True,
            ),
            _Step("QC release", "necessary", 14, 600, ("QC lab",)),
            _Step("Packing", "value-adding", 12, 300, ("Packing team",)),
            _Step("Shipping", "necessary", 16, 120, ("Logistics",)),
            _Step("Invoice", "necessary", 24, 30, ("Anna (Finance)",)),
        ),
        loops=(
            _Loop("Formulation", "Sample approval", p=0.25, max_repeats=3),
            _Loop("Production", "QC release", p=0.08, max_repeats=2),
        ),
        product_families=("Skin care", "Hair care", "Supplements", "Home care"),
        customers=_CUSTOMERS[:14],
        change=_CHANGE_1,
        effects=(_Effect("Sample approval", wait_factor=0.12),),
    ),
    _Offering(
        name="Private label fulfillment",
        prefix="PL",
        n_cases=1000,
        steps=(
            _Step("Sales inquiry", "necessary", 0.0, 30, (_OWNER,)),
            _Step("Quote", "necessary", 12, 90, (_OWNER,)),
            _Step("Order confirmed", "necessary", 24, 20, (_OWNER,)),
            _Step("Label design", "value-adding", 20, 1200, ("Chris (Design)",)),
            _Step("Label approval", "necessary", 110, 45, (_OWNER,)),
            _Step("Materials", "necessary", 30, 300, _PURCHASING),
            _Step(
                "Production",
                "value-adding",
                30,
                3000,
                ("Line 1", "Line 2", "Line 3"),
                size_scaled=True,
            ),
            _Step("QC", "necessary", 10, 480, ("QC lab",)),
            _Step("Packing", "value-adding", 10, 420, ("Packing team",)),
            _Step("Shipping", "necessary", 14, 90, ("Logistics",)),
            _Step("Invoice", "necessary", 20, 30, ("Anna (Finance)",)),
        ),
        loops=(_Loop("Label design", "Label approval", p=0.2, max_repeats=3),),
        product_families=("Supplements", "Skin care", "Beverages"),
        customers=_CUSTOMERS[6:],
        change=_CHANGE_2,
        effects=(
            _Effect("Label design", wait_factor=1.0, added_resources=("Dana (Design)",)),
            _Effect("Label approval", wait_factor=0.25, moves_to="Materials"),
        ),
    ),
    _Offering(
        name="Reverse engineering",
        prefix="RE",
        n_cases=600,
        steps=(
            _Step("Sales inquiry", "necessary", 0.0, 40, (_OWNER,)),
            _Step("Quote", "necessary", 16, 150, (_OWNER,)),
            _Step("Sample received", "necessary", 80, 30, ("Lab reception",)),
            _Step("Lab analysis", "value-adding", 30, 2400, ("Lab team A", "Lab team B")),
            _Step("Formula reconstruction", "value-adding", 24, 1800, ("Dr. Okafor (R&D)",)),
            _Step("Trial batch", "value-adding", 40, 900, ("Pilot plant",)),
            _Step("Customer approval", "necessary", 100, 60, (_OWNER,)),
            _Step("Report delivered", "value-adding", 24, 300, ("Dr. Okafor (R&D)",)),
            _Step("Invoice", "necessary", 20, 30, ("Anna (Finance)",)),
        ),
        loops=(_Loop("Formula reconstruction", "Customer approval", p=0.2, max_repeats=2),),
        product_families=("Cosmetics", "Cleaning products", "Food supplements"),
        customers=_CUSTOMERS[::2],
    ),
)


@dataclass(frozen=True)
class _Slot:
    """One possible instance position in a case: a step, maybe inside a loop repeat."""

    step: _Step
    loop: int  # index into the offering's loops; -1 = always happens
    repeat: int  # happens when the case's repeat count for `loop` is >= this


def _slots(offering: _Offering) -> list[_Slot]:
    """Unroll the main path with every possible loop repeat, in case order."""
    names = [s.activity for s in offering.steps]
    slots: list[_Slot] = []
    for i, step in enumerate(offering.steps):
        slots.append(_Slot(step, -1, 0))
        for li, loop in enumerate(offering.loops):
            if step.activity != loop.last:
                continue
            block = offering.steps[names.index(loop.first) : i + 1]
            for k in range(1, loop.max_repeats + 1):
                slots.extend(_Slot(s, li, k) for s in block)
    return slots


def _to_us(t: datetime) -> int:
    return (t - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


def _lognormal(rng: np.random.Generator, median: float, sigma: float, n: int) -> np.ndarray:
    """Lognormal around `median`, cut at three sigma.

    Without the cut, ten million draws reach 40x the median: a two-year wait
    for a sample, which no one would believe (such items get escalated).
    """
    return median * np.exp(sigma * np.clip(rng.standard_normal(n), -3.0, 3.0))


def _next_working_time(t: np.ndarray, jitter: np.ndarray) -> np.ndarray:
    """Move instants outside working hours (Mon–Fri 08:00–17:00 UTC) to the next opening.

    `jitter` (microseconds) spreads the Monday-morning starts, as real boards
    never show every item starting at exactly 08:00:00.
    """
    day = t // _US_PER_DAY
    in_day = t - day * _US_PER_DAY
    open_us = _WORK_START_H * _US_PER_HOUR
    after_close = in_day >= _WORK_END_H * _US_PER_HOUR
    day = day + after_close
    weekday = (day + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
    day = day + np.where(weekday == 5, 2, 0) + np.where(weekday == 6, 1, 0)
    moved = after_close | (in_day < open_us) | (weekday >= 5)
    return np.where(moved, day * _US_PER_DAY + open_us + jitter, t)


def _loop_repeats(rng: np.random.Generator, loop: _Loop, n_cases: int) -> np.ndarray:
    """How often each case goes round `loop`: P(at least k) = p**k, capped.

    The uniforms are stratified over blocks of consecutive arrivals, so every
    few weeks of cases has very nearly the same rework share. Independent draws
    would let two 60-day windows differ by 8-9 points by chance, which a
    before/after comparison would report as a quality change nobody made.
    """
    block = 20
    n_blocks = -(-n_cases // block)
    ranks = rng.random((n_blocks, block)).argsort(axis=1).argsort(axis=1).ravel()[:n_cases]
    u = (ranks + rng.random(n_cases)) / block
    repeats = np.floor(np.log1p(-u) / np.log(loop.p)).astype(np.int64)
    return np.minimum(repeats, loop.max_repeats)


def _simulate(
    offering: _Offering, n_cases: int, rng: np.random.Generator, now_us: int, shift_us: int
) -> tuple[pl.DataFrame, list[str]]:
    """Draw every slot of every case at once; return the emitted instances as codes.

    One pass per slot (a few dozen), each vectorised over all cases: that is
    what keeps ten million events at seconds. Returns a frame of integer
    columns (case number, activity and resource codes, start and end in
    microseconds, case attribute codes) and the resource names the codes index.
    `shift_us` moves the change instant along with a non-default `now`.
    """
    slots = _slots(offering)
    activities = [s.activity for s in offering.steps]
    resources: list[str] = list(_SALES)
    for step in offering.steps:
        resources.extend(r for r in step.resources if r != _OWNER and r not in resources)
    for e in offering.effects:
        resources.extend(r for r in e.added_resources if r not in resources)
    res_code = {r: i for i, r in enumerate(resources)}

    start_us = now_us - _ARRIVAL_DAYS * _US_PER_DAY
    arrivals = np.sort(rng.integers(start_us, now_us, n_cases))
    owner = rng.integers(0, len(_SALES), n_cases)
    # Zipf: a few big accounts place most of the orders, as in any B2B book.
    customer = rng.zipf(1.6, n_cases) % len(offering.customers)
    family = rng.integers(0, len(offering.product_families), n_cases)
    size = rng.choice(3, size=n_cases, p=_SIZE_PROBS)
    repeats = [_loop_repeats(rng, loop, n_cases) for loop in offering.loops]
    changed_at = _to_us(offering.change.changed_at) + shift_us if offering.change else None
    reached = np.zeros(n_cases, dtype=bool)
    effects = {e.activity: e for e in offering.effects}
    trigger = offering.effects[0].activity if offering.effects else None
    moved_h = {e.moves_to: np.zeros(n_cases) for e in offering.effects if e.moves_to}

    starts = np.empty((len(slots), n_cases), dtype=np.int64)
    ends = np.empty_like(starts)
    active = np.empty((len(slots), n_cases), dtype=bool)
    res = np.empty((len(slots), n_cases), dtype=np.int32)
    prev_start = prev_end = arrivals
    for j, slot in enumerate(slots):
        step = slot.step
        on = np.ones(n_cases, dtype=bool) if slot.loop < 0 else repeats[slot.loop] >= slot.repeat
        wait_h = _lognormal(rng, step.wait_h, step.wait_sigma, n_cases)
        proc_min = _lognormal(rng, step.proc_min, step.proc_sigma, n_cases)
        if step.size_scaled:
            proc_min = proc_min * _SIZE_FACTORS[size]
        if step.activity == trigger and changed_at is not None:
            reached = prev_end >= changed_at
        effect = effects.get(step.activity)
        if effect is not None:
            changed_wait_h = np.where(reached, wait_h * effect.wait_factor, wait_h)
            if effect.moves_to is not None:
                moved_h[effect.moves_to] += np.where(on, wait_h - changed_wait_h, 0.0)
            wait_h = changed_wait_h
        if step.activity in moved_h:
            wait_h = wait_h + moved_h.pop(step.activity)
        jitter = rng.integers(0, 90 * _US_PER_MIN, n_cases)
        if step.parallel:
            # Started while the previous step runs: usually overlapping it,
            # sometimes (about 30 %) only after it has finished.
            lag = rng.uniform(0.0, 1.4, n_cases) * (prev_end - prev_start)
            start = _next_working_time(prev_start + lag.astype(np.int64), jitter)
        elif j == 0:
            start = _next_working_time(arrivals, jitter)
        else:
            start = _next_working_time(prev_end + (wait_h * _US_PER_HOUR).astype(np.int64), jitter)
        end = start + np.maximum((proc_min * _US_PER_MIN).astype(np.int64), _US_PER_MIN)
        pool = np.array([res_code[r] for r in step.resources if r != _OWNER], dtype=np.int32)
        if effect is not None and effect.added_resources:
            extra = np.array([res_code[r] for r in effect.added_resources], dtype=np.int32)
            pool_after = np.concatenate([pool, extra])
            pick = np.where(
                reached,
                pool_after[rng.integers(0, len(pool_after), n_cases)],
                pool[rng.integers(0, len(pool), n_cases)],
            )
        elif _OWNER in step.resources:
            pick = owner.astype(np.int32)
        else:
            pick = pool[rng.integers(0, len(pool), n_cases)]
        starts[j], ends[j], active[j], res[j] = start, end, on, pick
        if step.parallel:
            new_end = np.maximum(prev_end, end)
        else:
            new_end = end
            prev_start = np.where(on, start, prev_start)
        prev_end = np.where(on, new_end, prev_end)

    # Unfinished instances are not emitted, and a case appears only once its
    # first instance has ended; surviving cases are numbered in arrival order.
    emitted = active & (ends <= now_us)
    case_no = np.cumsum(emitted[0]).astype(np.int64)
    activity_code = np.array([activities.index(s.step.activity) for s in slots], dtype=np.int32)
    # Case-major order: the slots are already in (start, end) order within a
    # case, so the rows come out sorted without a ten-million-row sort.
    case_idx, slot_rows = np.nonzero(emitted.T)
    row_start = starts[slot_rows, case_idx]
    row_end = ends[slot_rows, case_idx]
    order = _case_order(case_idx, row_start, row_end)
    case_idx, slot_rows = case_idx[order], slot_rows[order]
    frame = pl.DataFrame(
        {
            "case_no": case_no[case_idx],
            "activity_code": activity_code[slot_rows],
            "start_us": row_start[order],
            "end_us": row_end[order],
            "resource_code": res[slot_rows, case_idx],
            "customer_code": customer[case_idx].astype(np.int32),
            "family_code": family[case_idx].astype(np.int32),
            "size_code": size[case_idx].astype(np.int32),
        }
    )
    return frame, resources


def _case_order(case_idx: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray | slice:
    """The permutation that puts rows in (case, start, end) order; usually none is needed.

    Slot order can only disagree with (start, end) order on an exact tie of
    starts, which a microsecond clock practically never produces; checking is
    linear, sorting would not be.
    """
    same_case = case_idx[1:] == case_idx[:-1]
    earlier = (start[1:] < start[:-1]) | ((start[1:] == start[:-1]) & (end[1:] < end[:-1]))
    if not (same_case & earlier).any():
        return slice(None)
    return np.lexsort((end, start, case_idx))


def _events(offering: _Offering, codes: pl.DataFrame, resources: list[str]) -> pl.DataFrame:
    """Turn the integer codes (already in case order) into the event frame."""
    width = max(4, len(str(max(offering.n_cases, 1))))

    def names(values: list[str] | tuple[str, ...], column: str) -> pl.Series:
        return pl.Series(list(values), dtype=pl.String).gather(codes[column])

    # One id string per case, then gathered: formatting ten million numbers
    # would cost more than the whole simulation.
    case_ids = pl.select(
        pl.concat_str(
            pl.lit(f"{offering.prefix}-"),
            pl.int_range(1, offering.n_cases + 1).cast(pl.String).str.zfill(width),
        )
    ).to_series()
    return pl.DataFrame(
        {
            "offering": pl.repeat(offering.name, codes.height, dtype=pl.String, eager=True),
            "case_id": case_ids.gather(codes["case_no"] - 1),
            "activity": names([s.activity for s in offering.steps], "activity_code"),
            "start": codes["start_us"].cast(pl.Datetime("us", "UTC")),
            "end": codes["end_us"].cast(pl.Datetime("us", "UTC")),
            "resource": names(resources, "resource_code"),
            "customer": names(offering.customers, "customer_code"),
            "product_family": names(offering.product_families, "family_code"),
            "order_size": names(_SIZE_LABELS, "size_code"),
        }
    )


def _catalog() -> pl.DataFrame:
    rows = [
        {
            "offering": offering.name,
            "activity": step.activity,
            "value_class": step.value_class,
            "kind": "work",
            "standard_minutes": None,
            "is_end_activity": step.activity == END_ACTIVITY,
            "display_order": order,
        }
        for offering in _OFFERINGS
        for order, step in enumerate(offering.steps, start=1)
    ]
    return pl.DataFrame(
        rows,
        schema={
            "offering": pl.String,
            "activity": pl.String,
            "value_class": pl.String,
            "kind": pl.String,
            "standard_minutes": pl.Float64,
            "is_end_activity": pl.Boolean,
            "display_order": pl.Int32,
        },
    )


def generate_demo(seed: int = 7, *, scale: float = 1.0, now: datetime = DEMO_NOW) -> DemoData:
    """The demo data set: about 1,200 / 1,000 / 600 cases per offering at `scale` 1.

    Arrivals span the 365 days before `now`. A `now` other than `DEMO_NOW`
    moves the whole story, change instants included, so the changes stay the
    same distance before "now". The same seed, scale and `now` always give
    identical frames; each offering draws from its own stream of the seed, so
    retuning one offering leaves the others' data alone.
    """
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    now = now.astimezone(UTC)
    shift = now - DEMO_NOW
    shift_us = shift // timedelta(microseconds=1)
    streams = np.random.SeedSequence(seed).spawn(len(_OFFERINGS))
    frames = []
    for offering, stream in zip(_OFFERINGS, streams, strict=True):
        n_cases = max(1, round(offering.n_cases * scale))
        rng = np.random.default_rng(stream)
        codes, resources = _simulate(offering, n_cases, rng, _to_us(now), shift_us)
        frames.append(_events(replace(offering, n_cases=n_cases), codes, resources))
    # _OFFERINGS is in alphabetical order, so the concatenation is already
    # sorted by offering; sorting ten million strings again would cost seconds.
    events = pl.concat(frames, how="vertical")
    changes = [
        replace(o.change, changed_at=o.change.changed_at + shift)
        for o in _OFFERINGS
        if o.change is not None
    ]
    return DemoData(events=events, catalog=_catalog(), changes=changes, now=now)


def generate_events(n_events: int, seed: int = 7) -> pl.DataFrame:
    """About `n_events` demo events (within ±5 %), for benchmarks.

    Scales the number of cases, not the story: a scale-1 pilot run with the same
    seed measures events per unit of scale, which is stable enough that one
    scaled run lands within a few per mille of the target.
    """
    if n_events <= 0:
        raise ValueError(f"n_events must be positive, got {n_events}")
    pilot = generate_demo(seed).events.height
    return generate_demo(seed, scale=n_events / pilot).events
