"""A Spark standalone cluster on loopback for the tests: a master and a worker started from the Spark that
ships inside PySpark (``spark-class``), as a partnership's cluster runs them, and stopped afterwards."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# The JVMs of a run this small (a master, a worker, an executor, the driver: each lives about a minute)
# spend much of their CPU compiling Java with the optimising compiler for code that then runs for
# seconds: the quick compiler alone, and one garbage collector thread, take a third less CPU and give
# the same answers (the test compares them with DuckDB's). A partnership's long-running cluster keeps
# Java's defaults.
QUICK_JVM = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for(log: Path, text: str, process: subprocess.Popen[bytes], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if text in log.read_text(errors="replace"):
            return
        if process.poll() is not None:
            break
        time.sleep(0.25)
    raise RuntimeError(f"Spark did not say {text!r} within {seconds:.0f} s:\n{log.read_text(errors='replace')[-3000:]}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a daemon this module started, and the JVM it runs (its own process group)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@contextmanager
def standalone_cluster(folder: Path, *, cores: int = 1, memory: str = "1g") -> Iterator[str]:
    """A master and one worker on 127.0.0.1; yields the master's URL (spark://127.0.0.1:PORT)."""
    import pyspark

    spark_home = Path(pyspark.__file__).parent
    spark_class = str(spark_home / "bin" / "spark-class")
    port = _free_port()
    url = f"spark://127.0.0.1:{port}"
    env = {**os.environ, "SPARK_HOME": str(spark_home), "SPARK_LOCAL_IP": "127.0.0.1",
           "PYSPARK_PYTHON": sys.executable, "SPARK_DAEMON_JAVA_OPTS": QUICK_JVM, "SPARK_WORKER_DIR": str(folder / "work")}
    started: list[subprocess.Popen[bytes]] = []
    try:
        master_log = folder / "master.log"
        with master_log.open("wb") as out:
            master = subprocess.Popen(
                [spark_class, "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", str(port),
                 "--webui-port", str(_free_port())],
                stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        started.append(master)
        _wait_for(master_log, "I have been elected leader", master, 90)
        worker_log = folder / "worker.log"
        with worker_log.open("wb") as out:
            worker = subprocess.Popen(
                [spark_class, "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1", "--cores", str(cores),
                 "--memory", memory, "--webui-port", str(_free_port()), "--work-dir", str(folder / "work"), url],
                stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        started.append(worker)
        _wait_for(worker_log, "Successfully registered with master", worker, 90)
        yield url
    finally:
        for process in reversed(started):
            _stop(process)
