"""Import + construct cost of camunda_sdk versus the reference SDK.

Each measurement is a fresh interpreter that imports the SDK, constructs a
client and reports its wall time and peak RSS. Run::

    .venv/bin/python benchmarks/import_cost.py [--runs 9]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks._common import reference_python

PROBE = """
import resource, time, json
t = time.perf_counter()
{body}
elapsed = time.perf_counter() - t
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({{"seconds": elapsed, "peak_mb": peak_mb}}))
"""

OURS = "import camunda_sdk\nclient = camunda_sdk.CamundaClient()"
THEIRS = "import camunda_orchestration_sdk\nclient = camunda_orchestration_sdk.CamundaClient()"
FLOOR = "import httpx, attrs, pluggy, loguru, opentelemetry.trace, dotenv"
BARE = "pass"


def measure(python: str, body: str, runs: int) -> dict[str, float]:
    samples = []
    for _ in range(runs):
        out = subprocess.run(
            [python, "-c", PROBE.format(body=body)], capture_output=True, text=True, check=True,
            env={"PATH": "/usr/bin:/bin"},  # no CAMUNDA_* from the caller's shell
        )  # fmt: skip
        samples.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return {
        "seconds": statistics.median(s["seconds"] for s in samples),
        "peak_mb": statistics.median(s["peak_mb"] for s in samples),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    rows = {
        "python, nothing imported": measure(sys.executable, BARE, args.runs),
        "floor: httpx+attrs+pluggy+loguru+otel+dotenv": measure(sys.executable, FLOOR, args.runs),
        "camunda_sdk": measure(sys.executable, OURS, args.runs),
    }
    ref = reference_python()
    if ref is not None:
        rows["camunda-orchestration-sdk 10.0.1"] = measure(str(ref), THEIRS, args.runs)
    print(f"{'import + construct client':48} {'wall s':>8} {'peak MB':>8}")
    for name, row in rows.items():
        print(f"{name:48} {row['seconds']:8.3f} {row['peak_mb']:8.1f}")
    if ref is not None:
        ours, theirs = rows["camunda_sdk"], rows["camunda-orchestration-sdk 10.0.1"]
        print(f"\ntime ratio camunda_sdk/reference: {ours['seconds'] / theirs['seconds']:.2f}")
        print(f"memory ratio camunda_sdk/reference: {ours['peak_mb'] / theirs['peak_mb']:.2f}")


if __name__ == "__main__":
    main()
