"""The Spark job on a Spark cluster of two executor processes must write the
reports `storydup scan` writes, on a generated corpus with planted rewrites.

Runs in `local-cluster[2,1,1024]` mode (a master and two workers inside the
driver's JVM, executors as separate processes). Where that mode cannot start,
it falls back to a standalone master and two workers on loopback. Needs Java
and pyspark (`.ci/run` installs them); it fails, never skips, without them.
"""

import os
import pathlib
import socket
import subprocess
import sys
import time

import pyspark

ROOT = pathlib.Path(__file__).resolve().parents[2]
JOB = ROOT / "spark" / "storydup_spark.py"
DOCS = 1500
SEED = 7


def spark_home():
    return pathlib.Path(pyspark.__file__).parent


def environment():
    env = dict(os.environ)
    env["SPARK_HOME"] = str(spark_home())
    env["PYSPARK_PYTHON"] = sys.executable
    env["PYSPARK_DRIVER_PYTHON"] = sys.executable
    # Executors on loopback only: the machine may have no other network.
    env["SPARK_LOCAL_IP"] = "127.0.0.1"
    return env


def submit(master, docs, out):
    command = [
        str(spark_home() / "bin" / "spark-submit"),
        "--master", master,
        "--conf", "spark.sql.shuffle.partitions=4",
        "--conf", "spark.log.level=ERROR",
        "--conf", "spark.ui.enabled=false",
        "--executor-memory", "1g",
        str(JOB), str(docs), "--out", str(out),
    ]
    # spark-submit passes the Python driver's standard error on to its
    # standard output; keep them together.
    return subprocess.run(command, env=environment(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=900)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def standalone_cluster(tmp):
    """A standalone master and two one-core workers on loopback."""
    spark_class = str(spark_home() / "bin" / "spark-class")
    port = free_port()
    master = f"spark://127.0.0.1:{port}"
    logs = open(tmp / "standalone.log", "w")
    processes = [
        subprocess.Popen(
            [spark_class, "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", str(port),
             "--webui-port", str(free_port())],
            env=environment(), stdout=logs, stderr=logs)
    ]
    time.sleep(5)
    for _ in range(2):
        processes.append(subprocess.Popen(
            [spark_class, "org.apache.spark.deploy.worker.Worker", master, "--cores", "1", "--memory", "1g",
             "--host", "127.0.0.1", "--webui-port", str(free_port()), "--work-dir", str(tmp / "work")],
            env=environment(), stdout=logs, stderr=logs))
    time.sleep(5)
    return master, processes


def test_spark_job_writes_the_reports_of_storydup_scan(tmp_path):
    subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "storydup", "--example", "generate"],
                   cwd=ROOT, check=True)
    docs = tmp_path / "docs.jsonl"
    with open(docs, "wb") as f:
        subprocess.run([ROOT / "target/release/examples/generate", "--docs", str(DOCS), "--seed", str(SEED),
                        "--stdout"], stdout=f, stderr=subprocess.DEVNULL, check=True)
    cli = tmp_path / "cli"
    subprocess.run([ROOT / "target/release/storydup", "scan", docs, "-q", "--no-html", "--out", cli], check=True)

    out = tmp_path / "spark"
    run = submit("local-cluster[2,1,1024]", docs, out)
    mode = "local-cluster[2,1,1024]"
    if run.returncode != 0:
        print(f"local-cluster mode failed (exit {run.returncode}); trying a standalone cluster\n{run.stdout[-3000:]}")
        master, processes = standalone_cluster(tmp_path)
        try:
            run = submit(master, docs, out)
            mode = master
        finally:
            for p in processes:
                p.terminate()
            for p in processes:
                p.wait(timeout=60)
    assert run.returncode == 0, f"the Spark job failed on {mode}:\n{run.stdout[-5000:]}"
    print(f"ran on {mode}\n" + "\n".join(l for l in run.stdout.splitlines() if l.startswith(("storydup-spark", "  "))))

    expected = (cli / "clusters.csv").read_text()
    assert expected.count("\n") > DOCS // 5, "the corpus should have many planted rewrites"
    assert (out / "clusters.csv").read_text() == expected
    assert (out / "pairs.csv").read_text() == (cli / "pairs.csv").read_text()
    assert not [p for p in os.listdir(out) if p.endswith(".tmp")]


def test_spark_job_rejects_repeated_ids(tmp_path):
    docs = tmp_path / "docs.jsonl"
    docs.write_text('{"id": "a", "text": "One story."}\n{"id": "a", "text": "Another story."}\n')
    run = submit("local[1]", docs, tmp_path / "out")
    assert run.returncode != 0
    assert "document id 'a' occurs 2 times" in run.stdout
    assert not (tmp_path / "out" / "clusters.csv").exists()



def test_spark_job_reads_parquet_with_other_field_names(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    seeds = sorted((ROOT / "data" / "seeds").iterdir())
    table = pa.table({"name": [p.name for p in seeds], "body": [p.read_text(encoding="utf-8") for p in seeds]})
    pq.write_table(table, tmp_path / "seeds.parquet")
    subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "storydup"], cwd=ROOT, check=True)
    cli = tmp_path / "cli"
    subprocess.run([ROOT / "target/release/storydup", "scan", ROOT / "data" / "seeds", "-q", "--no-html",
                    "--out", cli], check=True)
    out = tmp_path / "spark"
    command = [
        str(spark_home() / "bin" / "spark-submit"), "--master", "local[1]",
        "--conf", "spark.log.level=ERROR", "--conf", "spark.sql.shuffle.partitions=2",
        "--conf", "spark.ui.enabled=false", str(JOB), str(tmp_path / "seeds.parquet"),
        "--id-field", "name", "--text-field", "body", "--out", str(out),
    ]
    run = subprocess.run(command, env=environment(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         timeout=600)
    assert run.returncode == 0, run.stdout[-5000:]
    assert (out / "clusters.csv").read_text() == (cli / "clusters.csv").read_text()
    assert (out / "pairs.csv").read_text() == (cli / "pairs.csv").read_text()
    assert "000_6d5f35eb97f0d708.txt" in (out / "clusters.csv").read_text()
