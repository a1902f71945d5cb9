"""The load run: a mixed shopper workload (bench/load/locustfile.py) against Gunicorn, a
throwaway PostgreSQL database loaded with the demo data, Redis and a Celery worker, for a few
minutes; then the verdict.

    python bench/load/run.py [--users 20] [--spawn-rate 5] [--duration 180] [--max-requests 20000]

Checks: zero failed requests; every order a shopper placed is recorded once, and none that was
not placed (an idempotent checkout sent twice names the same order); every paid-for order is
paid once its webhook has been delivered. Reports p50/p99 per endpoint and the resident memory
of the Gunicorn and Celery processes before and after. Traffic goes to 127.0.0.1 only.

Environment: ``LOAD_DATABASE_SERVER`` (default ``postgres://postgres@127.0.0.1:5432``; a database
``zhiqiao_load_<pid>`` is created there and dropped afterwards) and ``LOAD_REDIS_URL`` (default
``redis://127.0.0.1:6379/13``, flushed at the start). Writes ``var/load/summary.json``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import psutil
import psycopg
import redis

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "var" / "load"
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_http(url: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (loopback only)
                if response.status < 500:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer in {timeout}s")


def _rss(processes: dict[str, subprocess.Popen[bytes]]) -> dict[str, Any]:
    """Resident memory (MiB) of each server process and its children (Gunicorn and Celery workers)."""
    report: dict[str, Any] = {}
    for name, popen in processes.items():
        parent = psutil.Process(popen.pid)
        members = [parent, *parent.children(recursive=True)]
        sizes = [round(p.memory_info().rss / 2**20, 1) for p in members if p.is_running()]
        report[name] = {"processes": len(sizes), "total_mib": round(sum(sizes), 1), "each_mib": sizes}
    return report


def _wait_for_children(popen: subprocess.Popen[bytes], *, count: int, timeout: float = 90) -> None:
    """The Celery worker has forked its pool (so its memory is measured as it will run)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and len(psutil.Process(popen.pid).children()) < count:
        time.sleep(0.5)


def _stats(prefix: Path) -> list[dict[str, Any]]:
    rows = []
    with open(f"{prefix}_stats.csv", encoding="utf-8") as source:
        for row in csv.DictReader(source):
            rows.append(
                {
                    "endpoint": f"{row['Type']} {row['Name']}".strip(),
                    "requests": int(row["Request Count"]),
                    "failures": int(row["Failure Count"]),
                    "p50_ms": float(row["50%"] or 0),
                    "p99_ms": float(row["99%"] or 0),
                    "rps": round(float(row["Requests/s"] or 0), 2),
                }
            )
    return rows


def _orders_recorded(db_url: str) -> dict[str, str]:
    with psycopg.connect(db_url) as conn:
        rows = conn.execute(
            "SELECT o.number, o.status FROM commerce_order o JOIN users_user u ON u.id = o.user_id "
            "WHERE u.email LIKE 'load-%@example.com'"
        ).fetchall()
    return {str(number): str(status) for number, status in rows}


def _settle(db_url: str, placed: set[str], timeout: float = 120) -> dict[str, str]:
    """Wait until the Celery worker has delivered the webhooks (no placed order still pending)."""
    deadline = time.monotonic() + timeout
    recorded = _orders_recorded(db_url)
    while time.monotonic() < deadline:
        recorded = _orders_recorded(db_url)
        if not any(recorded.get(n) == "pending_payment" for n in placed):
            break
        time.sleep(1)
    return recorded


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--spawn-rate", type=float, default=5)
    parser.add_argument("--duration", type=int, default=180, help="seconds of load")
    parser.add_argument("--max-requests", type=int, default=20000)
    parser.add_argument("--gunicorn-workers", type=int, default=3)
    args = parser.parse_args()

    OUT.mkdir(parents=True, exist_ok=True)
    orders_file = OUT / "orders.jsonl"
    orders_file.unlink(missing_ok=True)
    server = os.environ.get("LOAD_DATABASE_SERVER", "postgres://postgres@127.0.0.1:5432")
    name = f"zhiqiao_load_{os.getpid()}"
    db_url = f"{server}/{name}"
    redis_url = os.environ.get("LOAD_REDIS_URL", "redis://127.0.0.1:6379/13")
    port = _free_port()
    host = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": db_url,
        "REDIS_URL": redis_url,
        # The whole workload comes from one address: the per-address limits would cut it off.
        "THROTTLE_ANON": "1000000/minute",
        "THROTTLE_USER": "1000000/minute",
        "THROTTLE_AUTH": "1000000/minute",
        "LOG_LEVEL": "WARNING",
    }
    manage = [sys.executable, "manage.py"]
    processes: dict[str, subprocess.Popen[bytes]] = {}
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        redis.Redis.from_url(redis_url).flushdb()
        print(f"[load] database {name}: migrate and demo data", flush=True)
        started = time.monotonic()
        subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)  # noqa: S603
        subprocess.run([*manage, "demo_data"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)  # noqa: S603
        print(f"[load] ready in {time.monotonic() - started:.0f}s; starting Celery and Gunicorn on {host}", flush=True)
        logs = {n: open(OUT / f"{n}.log", "wb") for n in ("celery", "gunicorn")}  # noqa: SIM115
        processes["celery"] = subprocess.Popen(  # noqa: S603
            [str(BIN / "celery"), "-A", "config", "worker", "-Q", "default", "-c", "2", "-l", "WARNING"],
            cwd=ROOT,
            env=env,
            stdout=logs["celery"],
            stderr=subprocess.STDOUT,
        )
        processes["gunicorn"] = subprocess.Popen(  # noqa: S603
            [str(BIN / "gunicorn"), "config.wsgi", "-w", str(args.gunicorn_workers), "-b", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=env,
            stdout=logs["gunicorn"],
            stderr=subprocess.STDOUT,
        )
        _wait_http(f"{host}/healthz")
        _wait_for_children(processes["celery"], count=2)
        for path in ("/", "/api/v1/catalog/products/", "/search/?q=the"):
            urllib.request.urlopen(f"{host}{path}", timeout=30).read()  # noqa: S310 (loopback warm-up)
        rss_before = _rss(processes)
        print(f"[load] {args.users} shoppers for {args.duration}s (at most {args.max_requests} requests)", flush=True)
        locust_env = {**env, "LOAD_MAX_REQUESTS": str(args.max_requests), "LOAD_ORDERS_FILE": str(orders_file)}
        started = time.monotonic()
        subprocess.run(  # noqa: S603
            [
                *(str(BIN / "locust"), "-f", str(ROOT / "bench" / "load" / "locustfile.py"), "--headless"),
                *("-u", str(args.users), "-r", str(args.spawn_rate), "-t", f"{args.duration}s", "--host", host),
                *("--csv", str(OUT / "locust"), "--only-summary", "--loglevel", "WARNING", "--stop-timeout", "10"),
            ],
            cwd=ROOT,
            env=locust_env,
            check=False,
            timeout=args.duration + 120,
        )
        elapsed = time.monotonic() - started
        lines = (
            [json.loads(x) for x in orders_file.read_text(encoding="utf-8").splitlines()]
            if orders_file.exists()
            else []
        )
        placed = {line["order"] for line in lines}
        replays = [line for line in lines if "replay" in line]
        recorded = _settle(db_url, placed)
        rss_after = _rss(processes)
        stats = _stats(OUT / "locust")
        total = next((s for s in stats if s["endpoint"] == "Aggregated"), {"requests": 0, "failures": 0})
        statuses: dict[str, int] = {}
        for status in recorded.values():
            statuses[status] = statuses.get(status, 0) + 1
        summary = {
            "command": " ".join([Path(sys.executable).name, "bench/load/run.py", *sys.argv[1:]]),
            "workload": "browse, search, product pages, catalogue API, recommendations, cart, checkout "
            "(10% replayed with the same idempotency key), sandbox payment via its webhook (Celery)",
            "servers": f"Gunicorn {args.gunicorn_workers} workers, Celery 2 processes, PostgreSQL {name}, Redis",
            "shoppers": args.users,
            "duration_s": round(elapsed, 1),
            "requests": total["requests"],
            "errors": total["failures"],
            "orders_placed": len(placed),
            "orders_recorded": len(recorded),
            "orders_missing": sorted(placed - set(recorded)),
            "orders_unexpected": sorted(set(recorded) - placed),
            "replays": len(replays),
            "replays_same_order": sum(1 for r in replays if r["replay"] == r["order"]),
            "order_statuses": statuses,
            "endpoints": stats,
            "rss_before": rss_before,
            "rss_after": rss_after,
        }
        (OUT / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        _print(summary)
        ok = (
            summary["errors"] == 0
            and summary["requests"] > 0
            and summary["orders_placed"] > 0
            and not summary["orders_missing"]
            and not summary["orders_unexpected"]
            and summary["replays_same_order"] == summary["replays"]
            and statuses.get("pending_payment", 0) == 0
        )
        print("[load] PASS" if ok else "[load] FAIL", flush=True)
        return 0 if ok else 1
    finally:
        for popen in processes.values():
            popen.terminate()
        for popen in processes.values():
            try:
                popen.wait(timeout=30)
            except subprocess.TimeoutExpired:
                popen.kill()
        with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _print(summary: dict[str, Any]) -> None:
    print(f"\n{summary['command']}")
    print(f"workload: {summary['workload']}")
    print(f"servers: {summary['servers']}; {summary['shoppers']} shoppers for {summary['duration_s']}s")
    print(f"requests {summary['requests']}, errors {summary['errors']}")
    print(
        f"orders placed {summary['orders_placed']}, recorded {summary['orders_recorded']} "
        f"(missing {len(summary['orders_missing'])}, unexpected {len(summary['orders_unexpected'])}); "
        f"replayed checkouts {summary['replays']}, same order {summary['replays_same_order']}; "
        f"statuses {summary['order_statuses']}"
    )
    print(f"{'endpoint':<32} {'requests':>8} {'fail':>5} {'p50 ms':>8} {'p99 ms':>8}")
    for row in summary["endpoints"]:
        counts = f"{row['requests']:>8} {row['failures']:>5}"
        print(f"{row['endpoint']:<32} {counts} {row['p50_ms']:>8.0f} {row['p99_ms']:>8.0f}")
    for name in summary["rss_before"]:
        before, after = summary["rss_before"][name], summary["rss_after"][name]
        print(
            f"RSS {name}: {before['total_mib']} MiB in {before['processes']} processes before, "
            f"{after['total_mib']} MiB in {after['processes']} after"
        )


if __name__ == "__main__":
    raise SystemExit(main())
