"""Run every ``bench/bench_*.py``, print a short summary and write ``bench/results.json``.

Each module has ``run() -> list[Figure]``. A figure is a median over repeats and, where the
module measures a reference in the same run, the ratio against it: these machines are shared
and noisy, so ratios are what to compare between runs. A reference figure is named
``... (reference)``; the summary names, for every ratio, the reference it is measured against.

    python bench/run.py                      # every module
    python bench/run.py bench_money bench_topm   # some
    BENCH_RESULTS=/tmp/r.json python bench/run.py   # write elsewhere

Running some modules updates their entries in ``bench/results.json`` and keeps the others', so
the file always holds the latest real figures of every benchmark (each entry says when and on
what it ran). A module that fails is recorded with its error and the others still run; the
exit status is 1 when any failed.
"""

from __future__ import annotations

import importlib
import json
import os
import platform
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

RESULTS = Path(os.environ.get("BENCH_RESULTS", str(ROOT / "bench" / "results.json")))


def _figure_record(figure: Any, references: dict[float, str]) -> dict[str, Any]:
    record: dict[str, Any] = {
        "name": figure.name,
        "median_s": figure.median_s,
        "unit_count": figure.unit_count,
        "per_item_s": figure.median_s / figure.unit_count if figure.unit_count else None,
        "is_reference": "(reference)" in figure.name,
    }
    if figure.reference_s:
        record["reference_s"] = figure.reference_s
        record["ratio"] = figure.median_s / figure.reference_s
        record["reference"] = references.get(figure.reference_s, "a reference measured in the same run")
    return record


def _module_record(name: str) -> dict[str, Any]:
    started = time.perf_counter()
    record: dict[str, Any] = {"module": name, "run_at": datetime.now(UTC).isoformat(timespec="seconds")}
    try:
        module = importlib.import_module(f"bench.{name}")
        record["description"] = (module.__doc__ or "").strip().splitlines()[0] if module.__doc__ else ""
        print(f"== {name}: {record['description']}", flush=True)
        figures = list(module.run())
    except Exception as exc:  # one broken benchmark must not hide the others' figures
        record["error"] = f"{type(exc).__name__}: {exc}"
        record["traceback"] = traceback.format_exc()
        print(f"   FAILED: {record['error']}", flush=True)
        figures = []
    references = {f.median_s: f.name for f in figures if "(reference)" in f.name}
    record["figures"] = [_figure_record(f, references) for f in figures]
    record["seconds"] = round(time.perf_counter() - started, 1)
    for figure in figures:
        print(f"   {figure}", flush=True)
    return record


def summary(results: dict[str, Any]) -> str:
    """A few lines per module: each measured figure, its ratio and what the ratio is against."""
    lines = [f"Benchmarks on {results['machine']['summary']}"]
    for module in results["modules"]:
        when = module.get("run_at", results.get("started_at", ""))
        lines.append(f"{module['module']} ({module['seconds']} s, {when}): {module.get('description', '')}")
        if "error" in module:
            lines.append(f"  FAILED {module['error']}")
        for figure in module["figures"]:
            if figure["is_reference"]:
                continue
            text = f"  {figure['name']}: {figure['median_s'] * 1000:.2f} ms"
            if figure["unit_count"] > 1:
                text += f" ({figure['per_item_s'] * 1e6:.1f} µs each of {figure['unit_count']})"
            if "ratio" in figure:
                text += f"; {figure['ratio']:.2f}× {figure['reference']}"
            lines.append(text)
    return "\n".join(lines)


def _merged(fresh: list[dict[str, Any]], names: list[str]) -> list[dict[str, Any]]:
    """This run's modules, and the earlier figures of the modules it did not run (still existing)."""
    kept: dict[str, dict[str, Any]] = {}
    if RESULTS.exists():
        try:
            earlier = json.loads(RESULTS.read_text(encoding="utf-8"))
            for module in earlier.get("modules", []):
                module.setdefault("run_at", earlier.get("started_at", ""))
                kept[module["module"]] = module
        except (ValueError, KeyError):
            kept = {}
    kept.update({m["module"]: m for m in fresh})
    return [kept[name] for name in names if name in kept]


def main() -> int:
    import django

    django.setup()
    names = sorted(p.stem for p in (ROOT / "bench").glob("bench_*.py"))
    only = set(sys.argv[1:])
    unknown = only - set(names)
    if unknown:
        print(f"no such benchmark: {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    results: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "machine": {
            "summary": f"{platform.node()} ({os.cpu_count()} CPUs, {platform.system()} {platform.machine()}, "
            f"Python {platform.python_version()})",
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "database": os.environ.get("DATABASE_URL", "sqlite (embedded default)").split("@")[-1],
            "redis": "set" if os.environ.get("REDIS_URL") else "not set",
        },
        "modules": [],
    }
    fresh: list[dict[str, Any]] = []
    for name in names:
        if only and name not in only:
            continue
        fresh.append(_module_record(name))
        # Written after every module, so a long run that is stopped keeps what it measured.
        results["modules"] = _merged(fresh, names)
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print()
    print(summary(results))
    print(f"\nWritten to {RESULTS}")
    return 1 if any("error" in m for m in results["modules"]) else 0


if __name__ == "__main__":
    raise SystemExit(main())
