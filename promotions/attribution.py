"""Where a shopper came from: UTM parameters and referral codes, as touches.

A touch is what one landing carried (``utm_source/medium/campaign/content/term``
and ``ref``), stamped with its time and path. The shopper's attribution keeps
the **first** touch and the **last** touch (last click wins by default) and,
separately, the last **referral** touch, for ``settings.PROMOTIONS_ATTRIBUTION_WINDOW_DAYS``
(default 30). It lives in the session and in a signed cookie, so it survives
logging in (which cycles the session) and a closed browser.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")
REF_PARAM = "ref"
REF_PATTERN = re.compile(r"^[A-Za-z0-9_-]{4,16}$")
SESSION_KEY = "promotions_attribution"
COOKIE_NAME = "zq_attr"
COOKIE_SALT = "promotions.attribution"
MAX_VALUE_LENGTH = 100


def attribution_window() -> timedelta:
    return timedelta(days=int(getattr(settings, "PROMOTIONS_ATTRIBUTION_WINDOW_DAYS", 30)))


@dataclass(frozen=True)
class Touch:
    at: datetime
    landing_path: str = ""
    utm_source: str = ""
    utm_medium: str = ""
    utm_campaign: str = ""
    utm_content: str = ""
    utm_term: str = ""
    ref: str = ""

    def as_dict(self) -> dict[str, str]:
        data = asdict(self)
        data["at"] = self.at.isoformat()
        return data

    @classmethod
    def from_dict(cls, data: Any) -> Touch | None:
        if not isinstance(data, dict):
            return None
        try:
            at = datetime.fromisoformat(str(data["at"]))
        except (KeyError, ValueError):
            return None
        if timezone.is_naive(at):
            return None
        fields = {k: str(data.get(k, ""))[:MAX_VALUE_LENGTH] for k in (*UTM_KEYS, "ref", "landing_path")}
        if fields["ref"] and not REF_PATTERN.match(fields["ref"]):
            fields["ref"] = ""
        return cls(at=at, **fields)

    @property
    def has_utm(self) -> bool:
        return any(getattr(self, k) for k in UTM_KEYS)


@dataclass(frozen=True)
class Attribution:
    """What commerce copies onto each order line at checkout (``as_dict()`` is JSON-ready)."""

    first: Touch | None
    last: Touch | None
    referral: Touch | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "first": self.first.as_dict() if self.first else None,
            "last": self.last.as_dict() if self.last else None,
            "referral": self.referral.as_dict() if self.referral else None,
        }

    @classmethod
    def from_dict(cls, data: Any) -> Attribution:
        if not isinstance(data, dict):
            return cls(first=None, last=None, referral=None)
        return cls(
            first=Touch.from_dict(data.get("first")),
            last=Touch.from_dict(data.get("last")),
            referral=Touch.from_dict(data.get("referral")),
        )

    def within(self, window: timedelta, *, now: datetime) -> Attribution:
        """Only the touches not older than ``window``."""

        def keep(touch: Touch | None) -> Touch | None:
            return touch if touch is not None and now - touch.at <= window else None

        return Attribution(first=keep(self.first), last=keep(self.last), referral=keep(self.referral))

    @property
    def is_empty(self) -> bool:
        return self.first is None and self.last is None and self.referral is None

    @property
    def referral_code(self) -> str:
        return self.referral.ref if self.referral else ""

    @property
    def utm_campaign(self) -> str:
        return self.last.utm_campaign if self.last else ""


def touch_from_query(query: Any, *, path: str, at: datetime) -> Touch | None:
    """The touch a request's query string carries, or None if it carries none."""
    values = {k: str(query.get(k, "")).strip()[:MAX_VALUE_LENGTH] for k in UTM_KEYS}
    ref = str(query.get(REF_PARAM, "")).strip()
    if ref and not REF_PATTERN.match(ref):
        ref = ""
    if not ref and not any(values.values()):
        return None
    return Touch(at=at, landing_path=path[:MAX_VALUE_LENGTH], ref=ref, **values)


def attribution_merge(current: Attribution, touch: Touch, *, now: datetime) -> Attribution:
    """Add a new touch: it becomes the last; the first stays unless it aged out; a ref replaces the referral."""
    live = current.within(attribution_window(), now=now)
    return Attribution(
        first=live.first or touch,
        last=touch,
        referral=touch if touch.ref else live.referral,
    )
