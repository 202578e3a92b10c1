"""One plain-language sentence per metric, worded as in ../shared/METRICS.md.

The dashboard shows these as help tooltips next to each number; keep them in
step with METRICS.md rather than rewording them here.
"""

from __future__ import annotations

DEFINITIONS: dict[str, str] = {
    "lead_time": "Lead time = max(end) − min(start) over the case's instances; reported for completed cases only.",
    "completed": "A case is completed when its last instance is an end activity of its offering (set in the activity catalog, else: at least half of the activity's occurrences are the last of their case and it is the last activity of at least 5% of the offering's cases).",
    "process_time": "Process (touch) time = the length of the union of the case's [start, end] intervals (waiting-state instances excluded): parallel work is not counted twice.",
    "wait_time": "Wait time = lead time − process time.",
    "flow_efficiency": "Flow efficiency = process time / lead time; for a set of cases, total process time / total lead time.",
    "pce": "Process cycle efficiency (PCE) = value-adding process time / lead time, where only activities classified value-adding in the catalog count; with no classification it is shown as flow efficiency and labelled so.",
    "rework": "An instance is rework when the same activity already occurred earlier in the case; a case has rework when any instance is rework.",
    "rework_case_share": "Rework share = cases with rework / every case in view, open ones included.",
    "variant": "Variant: the sequence of activities of a case, in case order.",
    "variants": "The number of distinct variants among every case in view, open ones included.",
    "instances": "Instances: the activity instances (start/complete paired) of the cases in view.",
    "cases": "Cases: distinct cases that contain the step.",
    "step_process_time": "Process time (C/T) = end − start per instance.",
    "wait_before_step": "Wait before the step = max(0, start − the latest end among the work instances before it in the case): the time nothing was happening in the case before this step began.",
    "total_wait_before_step": "Total wait before the step = the sum of the waits before it.",
    "bottleneck": "The bottleneck is the step with the largest total wait before it (where the stream's waiting concentrates).",
    "rework_share": "Rework share = cases in which the step occurs more than once / cases that contain it.",
    "pct_c_and_a": "%C&A = 1 − rework share.",
    "rolled_pct_c_and_a": "Rolled %C&A = the product of %C&A over the steps of the main path (the most frequent variant).",
    "transition_count": "Count: how often b directly follows a in a case (pm4py discover_dfg).",
    "transition_wait": 'Wait = max(0, start(b) − end(a)); without start timestamps it is end(b) − end(a), the elapsed time, labelled "elapsed" rather than "wait".',
    "throughput": "Throughput: completed cases per period, by completion date.",
    "arrivals": "Arrivals: cases started per period.",
    "wip": "WIP at instant t: cases with min(start) ≤ t and (still open or completed after t); daily WIP is taken at the end of each day.",
    "aging": "Aging: for each open case, now (the latest timestamp in the data) − its first start, and its current step.",
    "littles_law": "Little's law check: average WIP ≈ throughput rate × average lead time over a stable window; a large gap means the window is not stable or data is missing.",
    "percentiles": "Percentiles use linear interpolation; a percentile or mean of nothing is undefined, a sum or count of nothing is 0.",
    "working_time": "Working time: with the offering's calendar on, every duration counts only the seconds inside its working hours (in the calendar's time zone, holidays excluded, clock changes as they happen).",
    "projected_lead_time": "Projected lead time: each completed case replayed with the changes, its steps in case order, each adding the wait before it and its process time; first-order, it does not model a queue the change may build downstream.",
    "affected_cases": "Affected cases: completed cases a change applies to (they contain a removed step, have the second step of a parallel pair directly after the first, or wait before a step whose wait is scaled).",
    "conforming_share": "Conforming share: completed cases whose work steps are the future state's stages in order (each stage's steps once, in any order; optional steps once or not at all; no other step) / completed cases.",
    "deviation_missing": "Missing: a step of the future state that is not optional and not in the case.",
    "deviation_extra": "Extra: a step of the case that the future state does not have.",
    "deviation_repeated": "Repeated: a step of the future state that occurs more than once in the case.",
    "deviation_order": "Order: a step whose first occurrence comes after the first occurrence of a step of a later stage.",
    "forecast_done_by": "Done by (p50/p85/p95): Monte Carlo over the daily throughput of the last days up to the latest event (days with none count as zero); the date by which that share of the runs finished the items.",
    "forecast_items_done": "Items done (p50/p85/p95): at least this many items in the coming days with that probability, by Monte Carlo over the daily throughput of the last days.",
    "likely_done_by": "Likely done by: the item's first start plus the p50/p85/p95 lead time of the offering's completed cases that took longer than the item's current age.",
}
