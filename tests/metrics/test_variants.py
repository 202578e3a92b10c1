"""Variants: cases, share and lead-time percentiles of completed cases."""

from __future__ import annotations

import polars as pl
from polars.testing import assert_frame_equal

from metrics.variants import VARIANT_SCHEMA, variants
from tests.metrics.frames import H, cases_of, derive, events


def test_variants_literal() -> None:
    log = events(
        [
            ("1", "A", 0, 1),
            ("1", "Z", 1, 2),
            ("2", "A", 0, 1),
            ("2", "Z", 1, 4),
            ("3", "A", 0, 1),
            ("3", "B", 1, 2),
            ("3", "Z", 2, 3),
            ("4", "A", 0, 1),  # open: ends on A, which is not an end activity
        ]
    )
    out = variants(cases_of(derive(log)).lazy()).collect()
    expected = pl.DataFrame(
        [
            ("O", ["A", "Z"], "A → Z", 2, 2, 0.5, 2, 3 * H, 3.7 * H, 3.9 * H, 3 * H),
            ("O", ["A"], "A", 1, 1, 0.25, 0, None, None, None, None),
            ("O", ["A", "B", "Z"], "A → B → Z", 3, 1, 0.25, 1, 3 * H, 3 * H, 3 * H, 3 * H),
        ],
        schema=VARIANT_SCHEMA,
        orient="row",
    )
    assert_frame_equal(out, expected)
