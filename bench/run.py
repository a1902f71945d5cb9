"""Run every ``bench/bench_*.py`` and print its figures.

Each module has ``run() -> list[Figure]``. A figure is a median over
repeats and, where the module measures a reference in the same run, the
ratio against it: these machines are shared and noisy, so ratios are what
to compare between runs.
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")


def main() -> int:
    import django

    django.setup()
    names = sorted(p.stem for p in (ROOT / "bench").glob("bench_*.py"))
    only = set(sys.argv[1:])
    for name in names:
        if only and name not in only:
            continue
        module = importlib.import_module(f"bench.{name}")
        print(f"== {name}: {(module.__doc__ or '').strip().splitlines()[0]}")
        for figure in module.run():
            print(f"   {figure}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
