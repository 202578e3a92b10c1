"""A SparkSession that runs without network, keeps stdout clean and uses this Python."""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
QUIET_LOGS = Path(__file__).resolve().parent / "log4j2-quiet.properties"


def spark_session(master: str = "local[*]", partitions: int = 8) -> Any:
    """A session on `master` (local mode by default: every core of this machine).

    The Python workers must find this project and its libraries: they run this very
    interpreter with the repository on their path (on a cluster, spark-submit ships the
    packages: docs/SCALE.md)."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    paths = [str(REPO), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    os.environ["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    # mapInArrow and applyInArrow never go through pandas: its version warning is noise.
    warnings.filterwarnings("ignore", message=".*does not yet fully support pandas.*")
    from pyspark.sql import SparkSession

    quiet = f"-Dlog4j2.configurationFile=file:{QUIET_LOGS}"
    return (
        SparkSession.builder.master(master)
        .appName("value-stream-report")
        .config("spark.driver.extraJavaOptions", quiet)
        .config("spark.executor.extraJavaOptions", quiet)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", str(partitions))
        .config("spark.sql.execution.arrow.useLargeVarTypes", "false")
        .config("spark.jars.packages", "")
        .getOrCreate()
    )
