"""Train the main model on goodbooks-10k on the GPU (if any) and on the CPU; print examples/second for both.

Run by ``bench/gpu_train.sh``. An example is one (user, item) interaction
seen by the two towers' training loop; the item–item layer is solved in
closed form and reported separately.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from recommendations.ml.datasets import ratings_read  # noqa: E402
from recommendations.ml.interactions import interactions_build  # noqa: E402
from recommendations.ml.tf_model import HybridRecommender, gpu_available  # noqa: E402


def main() -> int:
    ratings_path = Path(
        os.environ.get(
            "RECSYS_BENCH_RATINGS", ROOT.parent / "shared/datasets/goodbooks-10k/ratings_random_5pct_users.csv"
        )
    )
    epochs = int(os.environ.get("RECSYS_GPU_EPOCHS", "10"))
    ratings = ratings_read(ratings_path)
    matrix = interactions_build(users=ratings.users, items=ratings.items).matrix
    matrix.data[:] = 1.0
    devices = (["gpu"] if gpu_available() else []) + ["cpu"]
    if "gpu" not in devices:
        print("no GPU visible to TensorFlow: skipping the GPU run")
    results = {}
    for device in devices:
        model = HybridRecommender(epochs=epochs, blend=0.5, device=device)  # type: ignore[arg-type]
        started = time.perf_counter()
        model.fit(matrix)
        results[device] = {
            "examples_per_second": round(model.examples_per_second or 0.0),
            "fit_seconds": round(time.perf_counter() - started, 1),
            "epochs": epochs,
            "interactions": int(matrix.nnz),
        }
        print(
            f"{device}: {results[device]['examples_per_second']:,} examples/s, fit {results[device]['fit_seconds']} s"
        )
    if "gpu" in results:
        print(f"GPU/CPU speed-up: {results['gpu']['examples_per_second'] / results['cpu']['examples_per_second']:.1f}×")
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
