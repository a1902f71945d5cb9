"""A mixed shopper workload for locust: browse, search, product pages, the catalogue API,
recommendations, and buying (cart, checkout through the API, paying on the sandbox provider's
hosted page, whose webhook a Celery worker delivers).

Every checkout's order number is written to ``LOAD_ORDERS_FILE`` (one JSON line per checkout)
so the runner can compare the orders placed with the orders the database recorded. Some
checkouts are sent twice with the same idempotency key: the second must name the same order.
The run stops itself after ``LOAD_MAX_REQUESTS`` requests (and the runner's time limit).
Only ever aimed at 127.0.0.1 (the runner refuses any other host).
"""

from __future__ import annotations

import json
import os
import random
import re
import threading
import uuid
from typing import Any

from locust import HttpUser, between, events, task

MAX_REQUESTS = int(os.environ.get("LOAD_MAX_REQUESTS", "20000"))
ORDERS_FILE = os.environ.get("LOAD_ORDERS_FILE", "var/load/orders.jsonl")
SEARCH_TERMS = ["心理", "历史", "course", "book", "编程", "经济", "写作", "the"]

_lock = threading.Lock()
_catalogue: dict[str, Any] = {"slugs": [], "variants": []}
_sent = {"requests": 0}


@events.request.add_listener
def _count(**_kwargs: Any) -> None:
    with _lock:
        _sent["requests"] += 1
        over = _sent["requests"] >= MAX_REQUESTS
    if over and _runner is not None:
        _runner.quit()


_runner: Any = None


@events.init.add_listener
def _keep_runner(environment: Any, **_kwargs: Any) -> None:
    global _runner
    _runner = environment.runner


def _record(line: dict[str, Any]) -> None:
    with _lock, open(ORDERS_FILE, "a", encoding="utf-8") as out:
        out.write(json.dumps(line) + "\n")


class Shopper(HttpUser):
    wait_time = between(0.2, 1.0)

    def on_start(self) -> None:
        self.client.get("/", name="home")
        self.email = f"load-{uuid.uuid4().hex[:12]}@example.com"
        registered = self.client.post(
            "/api/v1/auth/register/",
            json={"email": self.email, "password": "Load-test-password-9", "display_name": "Load shopper"},
            name="api register",
        )
        registered.raise_for_status()
        self.bought: set[str] = set()
        self._load_catalogue()

    def _csrf(self) -> dict[str, str]:
        return {"X-CSRFToken": self.client.cookies.get("csrftoken", ""), "Referer": self.host}

    def _load_catalogue(self) -> None:
        with _lock:
            if _catalogue["variants"]:
                return
        listing = self.client.get("/api/v1/catalog/products/?page_size=60", name="api products").json()
        slugs = [p["slug"] for p in listing.get("results", [])]
        # One sellable digital variant per product, bundles left out: a shopper never tries to buy
        # what they already own (that is refused, rightly, and would count as an error here).
        variants = []
        for slug in slugs[:30]:
            detail = self.client.get(f"/api/v1/catalog/products/{slug}/", name="api product").json()
            if detail.get("kind") == "bundle":
                continue
            skus = [
                v["sku"] for v in detail.get("variants", []) if v.get("sellable", True) and v.get("format") != "print"
            ]
            if skus:
                variants.append(skus[0])
        with _lock:
            _catalogue["slugs"], _catalogue["variants"] = slugs, variants

    @task(5)
    def home(self) -> None:
        self.client.get("/", name="home")

    @task(3)
    def search(self) -> None:
        self.client.get(f"/search/?q={random.choice(SEARCH_TERMS)}", name="search")

    @task(4)
    def product(self) -> None:
        if _catalogue["slugs"]:
            slug = random.choice(_catalogue["slugs"])
            self.client.get(f"/api/v1/catalog/products/{slug}/", name="api product")

    @task(4)
    def product_page(self) -> None:
        listing = self.client.get("/api/v1/catalog/products/?page_size=20", name="api products").json()
        results = listing.get("results", [])
        if results:
            url = random.choice(results).get("url")
            if url:
                self.client.get(url, name="product page")

    @task(2)
    def recommendations(self) -> None:
        self.client.get("/api/v1/recommendations/me?m=10", name="api recommendations")

    @task(2)
    def buy(self) -> None:
        choices = [v for v in _catalogue["variants"] if v not in self.bought]
        if not choices:
            return
        variant = random.choice(choices)
        self.bought.add(variant)
        self.client.delete("/api/v1/cart/", headers=self._csrf(), name="api cart clear")
        added = self.client.post("/api/v1/cart/", json={"sku": variant}, headers=self._csrf(), name="api cart add")
        if added.status_code >= 400:
            return
        key = uuid.uuid4().hex
        body = {"idempotency_key": key, "return_url": "/library/"}
        checkout = self.client.post("/api/v1/checkout/", json=body, headers=self._csrf(), name="api checkout")
        if checkout.status_code not in (200, 201):
            return
        result = checkout.json()
        number = result["order"]["number"]
        line: dict[str, Any] = {"order": number, "user": self.email, "key": key}
        if random.random() < 0.1:
            with self.client.post(
                "/api/v1/checkout/", json=body, headers=self._csrf(), name="api checkout replay", catch_response=True
            ) as replay:
                again = replay.json()["order"]["number"] if replay.status_code in (200, 201) else None
                line["replay"] = again
                if again != number:
                    replay.failure(f"replay named order {again}, not {number}")
        _record(line)
        pay_url = result["redirect_url"]
        page = self.client.get(pay_url, name="sandbox pay page")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        self.client.post(
            pay_url,
            data={"outcome": "pay", "csrfmiddlewaretoken": token.group(1) if token else ""},
            headers={"Referer": self.host + pay_url},
            allow_redirects=False,
            name="sandbox pay",
        )
