"""One Spark session per test process (a JVM takes seconds to start, tens of seconds on a busy
machine): started by the first Spark test, stopped at the end. Every `SparkLineTotals` made
meanwhile, the fact store engines' included, joins it (`getOrCreate`) and leaves it running.

Without pyspark or Java the Spark tests skip, unless ALLIANCE_REQUIRE_SPARK=1 (CI), where they fail.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest


def missing() -> str | None:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (pip install 'alliance[spark]')"
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "no Java runtime for Spark (install openjdk-17-jre-headless)"
    return None


@pytest.fixture(scope="session")
def spark_session() -> Iterator[None]:
    why = missing()
    if why:
        if os.environ.get("ALLIANCE_REQUIRE_SPARK") == "1":
            pytest.fail(f"Spark is required but cannot run: {why}")
        pytest.skip(why)
    from alliance.store.facts.spark import SparkLineTotals

    owner = SparkLineTotals("unused")
    owner.session()
    try:
        yield
    finally:
        owner.close()
