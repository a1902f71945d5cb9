"""Carrying "this sale came from recommendation list V, slot S" from a click to the order line.

How the storefront uses it (the whole contract):

1. Every link in a recommendation row ends in ``?rec=<model version>:<slot>``,
   the list's ``rec_param`` (``RecommendationList.rec_param``), e.g.
   ``/products/some-book/?rec=r12-tf_hybrid:home_recommended``.
2. The product page (and the add-to-cart view, when it gets ``rec`` as a form
   field or query parameter) calls
   ``rec_remember(session=request.session, product_id=product.pk, raw=request.GET.get("rec"))``.
   A malformed value is ignored; the session keeps the latest recommendation per
   product for ``ATTRIBUTION_DAYS`` (at most ``SESSION_MAX`` products).
3. At checkout the lines are passed through
   ``checkout_lines_attribute(session=request.session, lines=lines)`` before
   ``commerce.services.checkout_create``; each line whose product (or, for a
   bundle, the bundle) was reached from a recommendation gets
   ``recommendation_model_version`` and ``recommendation_slot``, which commerce
   stores on the ``OrderLine``. The funnels and the model dashboard read them
   from there.

The session survives login (Django keeps the session data when it rotates the
key), so a visitor who clicks, logs in and buys is still attributed.
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from commerce.services.checkout import CheckoutLine
from recommendations.conf import recsys_setting

SESSION_KEY = "recommendations_clicks"
SESSION_MAX = 50
PARAM = "rec"
_PART = re.compile(r"^[A-Za-z0-9_.\-]{1,48}$")


@dataclass(frozen=True)
class RecRef:
    model_version: str
    slot: str

    def __str__(self) -> str:
        return f"{self.model_version}:{self.slot}"


def rec_param_format(*, model_version: str, slot: str) -> str:
    """``<model version>:<slot>``, the value of the ``rec`` query parameter."""
    return f"{model_version}:{slot}"


def rec_param_parse(raw: object) -> RecRef | None:
    """The recommendation named by a ``rec`` value, or ``None`` for anything malformed."""
    if not isinstance(raw, str):
        return None
    version, sep, slot = raw.strip().partition(":")
    if not sep or not _PART.match(version) or not _PART.match(slot):
        return None
    return RecRef(model_version=version, slot=slot)


def rec_remember(*, session: Any, product_id: int, raw: object, now: float | None = None) -> RecRef | None:
    """Keep in ``session`` that ``product_id`` was reached from the recommendation ``raw``."""
    ref = rec_param_parse(raw)
    if ref is None:
        return None
    now = now if now is not None else time.time()
    clicks: dict[str, Any] = dict(session.get(SESSION_KEY) or {})
    clicks[str(int(product_id))] = {"v": ref.model_version, "s": ref.slot, "at": now}
    if len(clicks) > SESSION_MAX:
        newest = sorted(clicks.items(), key=lambda kv: kv[1].get("at", 0), reverse=True)[:SESSION_MAX]
        clicks = dict(newest)
    session[SESSION_KEY] = clicks
    return ref


def rec_for_product(*, session: Any, product_id: int, now: float | None = None) -> RecRef | None:
    """The recommendation that led to ``product_id`` within the attribution window, if any."""
    clicks = session.get(SESSION_KEY) or {}
    entry = clicks.get(str(int(product_id))) if isinstance(clicks, dict) else None
    if not isinstance(entry, dict):
        return None
    now = now if now is not None else time.time()
    window = float(recsys_setting("ATTRIBUTION_DAYS")) * 86400
    if now - float(entry.get("at", 0)) > window:
        return None
    return rec_param_parse(f"{entry.get('v', '')}:{entry.get('s', '')}")


def checkout_lines_attribute(
    *, session: Any, lines: Sequence[CheckoutLine], now: float | None = None
) -> list[CheckoutLine]:
    """``lines`` with the recommendation each product was reached from (lines already attributed keep theirs)."""
    out: list[CheckoutLine] = []
    for line in lines:
        if line.recommendation_model_version:
            out.append(line)
            continue
        ref = rec_for_product(session=session, product_id=line.variant.product_id, now=now)
        if ref is None:
            out.append(line)
        else:
            out.append(
                dataclasses.replace(line, recommendation_model_version=ref.model_version, recommendation_slot=ref.slot)
            )
    return out
