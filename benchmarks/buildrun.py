"""One build, as ``bmkg build`` runs it, printing when each stage starts.

``python -m benchmarks.buildrun STORE [NAME=PATH ...]``: the harness runs this in a
subprocess and reads the ``STAGE name seconds`` lines, so that it can tell the
peak memory of each stage, and where a build stopped when it had to be killed.
"""

from __future__ import annotations

import sys
import time

STARTED = time.perf_counter()


def main(argv: list[str]) -> int:
    def mark(stage: str) -> None:
        print(f"STAGE {stage} {time.perf_counter() - STARTED:.3f}", flush=True)

    mark("imports")
    from pathlib import Path

    from ingest.pipeline import BuildFailed, Inputs, build

    root = Path(argv[0])
    overrides = {name: Path(path) for name, _, path in (arg.partition("=") for arg in argv[1:])}

    try:
        result = build(root, Inputs.shipped(overrides), on_stage=mark)
    except BuildFailed as failure:
        print(f"build failed at {failure.stage}: " + "; ".join(failure.problems[:20]), file=sys.stderr)
        return 1
    mark("done")
    print(f"GENERATION {result.generation.path}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
