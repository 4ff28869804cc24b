"""Import + construct cost of camunda_sdk against its dependency floor and the reference SDK.

Each sample is a fresh interpreter (no ``CAMUNDA_*`` or ``OTEL_*`` in its environment)
that runs one snippet and exits. Three figures per sample:

- whole process: wall time from spawning the interpreter to its exit, as a user
  running a short script sees it (interpreter start-up included, the same for every row);
- in process: wall time of the snippet alone, measured inside the interpreter;
- CPU: user + system time of the interpreter, which load from other processes on
  the machine inflates far less than wall time;
- peak RSS of the interpreter.

The rows take turns sample by sample, so a burst of load on this shared machine
falls on all of them alike; each figure is the median. Run::

    .venv/bin/python benchmarks/import_cost.py [--runs 21]

The floor is what any client of this shape must import: httpx, attrs, pluggy and
the OpenTelemetry API (``opentelemetry.trace``). Goal: camunda_sdk <= 1.5x the floor.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks._common import REFERENCE, reference_python

PROBE = """
import resource, time, json
t = time.perf_counter()
{body}
elapsed = time.perf_counter() - t
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({{"seconds": elapsed, "peak_mb": peak_mb}}))
"""

BARE = "pass"
FLOOR = "import httpx, attrs, pluggy, opentelemetry.trace"
OURS = "import camunda_sdk\nclient = camunda_sdk.CamundaClient()"
THEIRS = "import camunda_orchestration_sdk\nclient = camunda_orchestration_sdk.CamundaClient()"
# A minimal environment: nothing from the caller's shell configures either SDK.
ENV = {"PATH": "/usr/bin:/bin"}
KEYS = ("whole", "inner", "cpu", "peak_mb")


def sample(python: str, body: str) -> dict[str, float]:
    """Run one fresh interpreter; return its whole-process and in-process figures."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    out = subprocess.run(
        [python, "-c", PROBE.format(body=body)], capture_output=True, text=True, env=ENV
    )
    whole = time.perf_counter() - start
    if out.returncode != 0:
        raise SystemExit(f"{python} -c {body!r} failed:\n{out.stderr}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    inner = json.loads(out.stdout.strip().splitlines()[-1])
    return {"whole": whole, "inner": inner["seconds"], "cpu": cpu, "peak_mb": inner["peak_mb"]}


def measure(rows: dict[str, tuple[str, str]], runs: int) -> dict[str, dict[str, float]]:
    """Median figures per row, the rows interleaved sample by sample."""
    for python, body in rows.values():
        sample(python, body)  # warm-up: write bytecode caches, fill the page cache
    samples: dict[str, list[dict[str, float]]] = {name: [] for name in rows}
    for _ in range(runs):
        for name, (python, body) in rows.items():
            samples[name].append(sample(python, body))
    return {
        name: {key: statistics.median(s[key] for s in got) for key in KEYS}
        for name, got in samples.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    ours = sys.executable
    rows = {
        "python, nothing imported": (ours, BARE),
        "floor: httpx+attrs+pluggy+opentelemetry.trace": (ours, FLOOR),
        "camunda_sdk": (ours, OURS),
    }
    ref = reference_python()
    reference = f"reference {REFERENCE.split('==')[1]}"
    if ref is not None:
        rows[reference] = (str(ref), THEIRS)
    result = measure(rows, args.runs)
    print(f"import + construct client, median of {args.runs}")
    print(f"{'':46} {'whole s':>8} {'in-proc s':>9} {'CPU s':>7} {'peak MB':>8}")
    for name, row in result.items():
        print(
            f"{name:46} {row['whole']:8.3f} {row['inner']:9.3f} {row['cpu']:7.3f}"
            f" {row['peak_mb']:8.1f}"
        )
    sdk, floor = result["camunda_sdk"], result["floor: httpx+attrs+pluggy+opentelemetry.trace"]
    print()
    print(f"camunda_sdk / floor, whole process: {sdk['whole'] / floor['whole']:.2f}  (goal <= 1.5)")
    print(f"camunda_sdk / floor, in process:    {sdk['inner'] / floor['inner']:.2f}")
    print(f"camunda_sdk / floor, CPU:           {sdk['cpu'] / floor['cpu']:.2f}")
    if ref is not None:
        theirs = result[reference]
        print(f"camunda_sdk / reference, whole process: {sdk['whole'] / theirs['whole']:.2f}")
        print(f"camunda_sdk / reference, in process:    {sdk['inner'] / theirs['inner']:.2f}")
        print(f"camunda_sdk / reference, CPU:           {sdk['cpu'] / theirs['cpu']:.2f}")
        print(f"camunda_sdk / reference, peak RSS:      {sdk['peak_mb'] / theirs['peak_mb']:.2f}")


if __name__ == "__main__":
    main()
