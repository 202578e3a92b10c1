"""Variants: cases, share and lead-time percentiles of completed cases."""

from __future__ import annotations

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from metrics.steps import main_path
from metrics.summary import case_summary
from metrics.variants import COMPACT_VARIANT, VARIANT_SCHEMA, compact_variants, variants
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


def test_compact_variants_give_the_same_figures() -> None:
    """The app holds each case's variant as numbers of step names (COMPACT_VARIANT); the
    variants, their main path and the count of variants are those of the text."""
    log = events(
        [
            ("1", "A", 0, 1),
            ("1", "Z", 1, 2),
            ("2", "A", 0, 1),
            ("2", "Z", 1, 4),
            ("3", "A", 0, 1),
            ("3", "B", 1, 2),
            ("3", "A", 2, 3),
            ("3", "Z", 3, 4),
            ("4", "A", 0, 1),
        ]
    )
    text = cases_of(derive(log))
    compact = compact_variants(text)
    assert compact.schema["variant"] == COMPACT_VARIANT
    assert compact["variant"].to_list() == [["A", "Z"], ["A", "Z"], ["A", "B", "A", "Z"], ["A"]]
    held = variants(compact.lazy()).collect()
    assert_frame_equal(held, variants(text.lazy()).collect())
    assert held["variant_label"].to_list() == ["A → Z", "A", "A → B → A → Z"]
    assert_frame_equal(
        main_path(variants(compact.lazy())).collect(), main_path(variants(text.lazy())).collect()
    )
    summary = case_summary(compact.lazy()).collect()
    assert_frame_equal(summary, case_summary(text.lazy()).collect())
    assert summary["variants"].item() == 3
    # Each step is a 2-byte number, half the size of polars' default categories.
    assert compact["variant"].list.explode().to_physical().dtype == pl.UInt16


def test_variants_stay_text_where_there_are_more_step_names_than_numbers() -> None:
    """A log with more distinct step names than the compact type can number keeps its
    variants as text, whole, and its figures are the same."""
    tiny = pl.List(pl.Categorical(pl.Categories("test-300-names", physical=pl.UInt8)))
    log = events([(str(i), f"Step {i}", 0, 1) for i in range(300)])
    text = cases_of(derive(log))
    held = compact_variants(text, tiny)
    assert held.schema["variant"] == pl.List(pl.String())
    assert_frame_equal(held, text)
    few = compact_variants(text.head(10), pl.List(pl.Categorical(pl.Categories("test-10"))))
    assert few["variant"].to_list() == text.head(10)["variant"].to_list()


@pytest.mark.parametrize("by", [(), ("offering",)])
def test_the_compact_variant_of_a_single_case(by: tuple[str, ...]) -> None:
    """A view of one case (a rare variant picked, an offering of one order): its variant
    held compact is counted as its text is (polars panicked grouping one row by it)."""
    text = cases_of(derive(events([("1", "A", 0, 1), ("1", "B", 1, 2), ("1", "Z", 2, 5)])))
    held = variants(compact_variants(text).lazy(), by=by).collect()
    assert_frame_equal(held, variants(text.lazy(), by=by).collect())
    assert held.select("variant_label", "cases", "completed_cases").rows() == [("A → B → Z", 1, 1)]
    assert held["lead_time_s_p50"].to_list() == [5 * H]
    path = main_path(variants(compact_variants(text).lazy(), by=by), by=by).collect()
    assert path["activity"].to_list() == ["A", "B", "Z"]
