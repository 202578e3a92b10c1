"""The metrics engine: pure polars functions over the warehouse's events (../shared/METRICS.md).

Derive once per load, then every view is a few group-bys:

    d = derive_all(events, catalog)               # d.instances per instance, d.cases per case
    view_instances, view_cases = apply_filters(d.instances.lazy(), d.cases.lazy(), spec)
    steps(view_instances), transitions(view_instances), variants(view_cases), ...

Every function takes and returns LazyFrames with a declared schema, does no
I/O and never collects; `summary` (a dict for the report and the tiles) is the
one place that collects.
"""

from metrics.cases import case_table, end_activities
from metrics.definitions import DEFINITIONS
from metrics.derive import derive_instances
from metrics.derived import Derived, derive_all
from metrics.filters import CaseFilter, apply_filters, filter_cases, restrict_instances
from metrics.flow import aging, flow_per_period, littles_law, wip_daily
from metrics.steps import bottleneck, main_path, rolled_pct_c_and_a, steps
from metrics.summary import ENGINE, case_summary, summary
from metrics.transitions import transitions
from metrics.variants import variants

__all__ = [
    "DEFINITIONS",
    "ENGINE",
    "CaseFilter",
    "Derived",
    "aging",
    "apply_filters",
    "bottleneck",
    "case_summary",
    "case_table",
    "derive_all",
    "derive_instances",
    "end_activities",
    "filter_cases",
    "flow_per_period",
    "littles_law",
    "main_path",
    "restrict_instances",
    "rolled_pct_c_and_a",
    "steps",
    "summary",
    "transitions",
    "variants",
    "wip_daily",
]
