"""The metrics on Apache Spark, for event logs beyond one machine.

Nothing of the metric definitions is written here: Spark partitions the events by case
and runs the project's own polars functions (metrics.derive, metrics.cases,
metrics.steps, metrics.transitions, metrics.summary) on each partition or group, then
puts the parts together with `metrics.summary.assemble_summary`. docs/SCALE.md says how
to run it on a cluster.
"""
