"""Storefront under load: Gunicorn on PostgreSQL, home, product and search against a trivial view.

A throwaway PostgreSQL database gets the migrations and a catalogue of about 600
products; Gunicorn serves the project on 127.0.0.1 only; a bounded asyncio/httpx
client sends a fixed number of requests per page with a fixed concurrency. Each
page's median (p50) and p99 latency is reported as a ratio to ``/robots.txt`` (a
view that touches no database) served the same way in the same run, with its
requests per second. Any failed request makes the benchmark fail.

Environment: ``BENCH_PG_URL`` (default ``postgres://postgres@127.0.0.1:5432``),
``BENCH_REQUESTS`` per page (default 200), ``BENCH_CONCURRENCY`` (default 4),
``BENCH_WORKERS`` Gunicorn workers (default 2).
"""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import Figure

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432").rstrip("/")
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "200"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "4"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
PAGES = [
    ("trivial view /robots.txt (reference)", "/robots.txt"),
    ("home /", "/"),
    ("product /products/<slug>/", "/products/positive-psychology-bundle/"),
    ("search /search/?q=心理", "/search/?q=%E5%BF%83%E7%90%86&sort=rating"),
]

SEED = """
import django
django.setup()
from tests.factories.storefront import bulk_catalogue, shop_world
world = shop_world()
bulk_catalogue(count=600, partner=world.partner)
print("seeded")
"""


@dataclass
class Run:
    latencies: list[float]
    errors: int
    wall_s: float
    # What the failed requests got: status codes or exception names, with counts.
    failures: dict[str, int] = field(default_factory=dict)

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.wall_s if self.wall_s else 0.0

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _psql(sql: str) -> None:
    subprocess.run(["psql", f"{PG_URL}/postgres", "-v", "ON_ERROR_STOP=1", "-qc", sql], check=True)  # noqa: S603, S607 (our own fixed commands)


async def _drive(base: str, path: str, *, count: int, concurrency: int) -> Run:
    import httpx

    latencies: list[float] = []
    failures: Counter[str] = Counter()
    todo = iter(range(count))

    async def worker(client: httpx.AsyncClient) -> None:
        for _ in todo:
            started = time.perf_counter()
            try:
                response = await client.get(path)
                outcome = "" if response.status_code == 200 else f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                outcome = type(exc).__name__
            latencies.append(time.perf_counter() - started)
            if outcome:
                failures[outcome] += 1

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30.0) as client:
        for _ in range(20):  # warm up every worker's connections and caches
            await client.get(path)
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        wall = time.perf_counter() - started
    return Run(latencies=latencies, errors=sum(failures.values()), wall_s=wall, failures=dict(failures))


def _wait_until_up(base: str, server: subprocess.Popen[bytes]) -> None:
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("gunicorn exited before serving")
        try:
            if httpx.get(f"{base}/robots.txt", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.3)
    raise RuntimeError("gunicorn did not answer within 60 s")


def run() -> list[Figure]:
    import logging

    logging.getLogger("httpx").setLevel(logging.WARNING)
    database = f"zhiqiao_bench_storefront_{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DATABASE_URL": f"{PG_URL}/{database}",
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DJANGO_DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        "REDIS_URL": "",
        "PYTHONPATH": str(ROOT),
    }
    try:
        _psql(f'CREATE DATABASE "{database}"')
    except (OSError, subprocess.CalledProcessError) as exc:
        print(f"   skipped: no PostgreSQL at {PG_URL} ({exc})")
        return []
    server: subprocess.Popen[bytes] | None = None
    try:
        subprocess.run([PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)  # noqa: S603 (our own fixed commands)
        subprocess.run([PYTHON, "-c", SEED], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)  # noqa: S603 (our own fixed commands)
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(  # noqa: S603 (our own fixed commands)
            [str(Path(PYTHON).parent / "gunicorn"), "config.wsgi", "-w", str(WORKERS), "-b", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_until_up(base, server)
        runs = {path: asyncio.run(_drive(base, path, count=REQUESTS, concurrency=CONCURRENCY)) for _, path in PAGES}
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        _psql(f'DROP DATABASE IF EXISTS "{database}"')

    reference = runs[PAGES[0][1]]
    figures: list[Figure] = []
    failed: list[str] = []
    for name, path in PAGES:
        measured = runs[path]
        if measured.errors:
            failed.append(f"{path}: {measured.failures}")
        is_reference = measured is reference
        p50, p99 = measured.percentile(0.5), measured.percentile(0.99)
        detail = (
            f"{name}: {measured.rps:.0f} req/s"
            + ("" if is_reference else f" ({measured.rps / reference.rps:.2f}× the reference's)")
            + f", {measured.errors} errors, p50"
        )
        figures.append(
            Figure(detail, p50, reference_s=None if is_reference else reference.percentile(0.5), unit_count=1)
        )
        figures.append(
            Figure(f"{name}: p99", p99, reference_s=None if is_reference else reference.percentile(0.99), unit_count=1)
        )
    print(
        f"   ({REQUESTS} requests per page, concurrency {CONCURRENCY}, gunicorn {WORKERS} workers, "
        f"median of all latencies {statistics.median(reference.latencies) * 1000:.2f} ms for the reference)"
    )
    if failed:
        raise AssertionError("requests failed under load: " + "; ".join(failed))
    return figures
