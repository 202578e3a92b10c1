"""Durations in seconds: every duration of the model is a float number of seconds."""

MINUTE = 60.0
HOUR = 3_600.0
DAY = 86_400.0
WEEK = 7 * DAY
