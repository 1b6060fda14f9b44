"""Test-session settings. Under CI (``CI`` set) Hypothesis runs derandomized: the same examples on
every run, so a red CI is always reproducible; local runs keep exploring new examples.

The ``spark`` fixture is one local[1] Spark session for the whole test run (the modules using
it skip themselves without Java or pyspark)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("dev", print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

LOG4J = """rootLogger.level = error
logger.repl.name = org.apache.spark.repl.Main
logger.repl.level = error
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %p %c{1}: %m%n
"""


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if shutil.which("java") is None and not os.environ.get("CI"):  # CI installs a JRE (make system)
        pytest.skip("the Spark tests need a Java runtime (apt-get install openjdk-17-jre-headless)")
    pytest.importorskip("pyspark", reason="the Spark tests need pyspark (pip install -e '.[spark]')")
    from pyspark.sql import SparkSession

    conf = tmp_path_factory.mktemp("spark") / "log4j2.properties"
    conf.write_text(LOG4J)
    session = (
        SparkSession.builder.master("local[1]")
        .appName("surveykit-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.default.parallelism", "1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.adaptive.enabled", "false")  # small data: no re-planning
        .config("spark.sql.codegen.wholeStage", "false")  # nor compiling each query's code
        .config("spark.sql.codegen.factoryMode", "NO_CODEGEN")
        # a short-lived JVM on few cores: the quick compiler, one GC thread, errors-only logging
        .config(
            "spark.driver.extraJavaOptions",
            f"-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Dlog4j2.configurationFile=file:{conf}",
        )
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
