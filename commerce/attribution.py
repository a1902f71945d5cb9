"""What an order line records about where its sale came from and which promotions priced it.

``OrderLine.attribution`` is one JSON object. Its schema is
``ORDER_LINE_ATTRIBUTION_SCHEMA`` (JSON Schema 2020-12); every key is optional,
so lines written before a key existed stay valid:

=====================  =================================================================
``campaign_id``        the campaign credited with the line (int, or null): the campaign
                       whose offers and coupons took most off the line, else the live
                       campaign named by the last visit's ``utm_campaign``. Settlements
                       charges the campaign's cost to its partners from it.
``campaign_discount``  what that campaign's promotions took off the line ("12.30").
``campaign_reason``    ``promotion`` (its discount), ``utm`` (the visit), or "".
``coupon_codes``       the coupon codes that discounted the line.
``offer_ids``          the bundle offers that discounted the line.
``touches``            the visits that brought the shopper (``first``, ``last`` and the last
                       ``referral``; each ``at``, ``landing_path``, ``utm_*``, ``ref``), or null.
``utm``                the ``utm_*`` values of the last visit, else the first, that had any
                       (funnels read it).
``referral_code``      the referral (分销) code of the last referral visit.
=====================  =================================================================

Callers of checkout may pass, per line, only ``utm`` (an object of ``utm_*``
strings) and ``referral_code``: what an app knows about its own install or
deep link. They are treated as one more visit, so the same rules (attribution
window, self-referral, campaign must be live) apply as for a visit to the
site. The campaign is never taken from a caller: it decides who pays for a
promotion, so it is worked out from what priced the line.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _
from jsonschema import Draft202012Validator

from commerce.errors import CheckoutInvalid
from promotions.attribution import MAX_VALUE_LENGTH, REF_PATTERN, UTM_KEYS, Attribution, Touch, attribution_merge

CALLER_KEYS = frozenset({"utm", "referral_code"})

_UTM_VALUES: dict[str, Any] = {
    "type": "object",
    "propertyNames": {"enum": list(UTM_KEYS)},
    "additionalProperties": {"type": "string", "maxLength": MAX_VALUE_LENGTH},
}
_TOUCH: dict[str, Any] = {
    "type": "object",
    "required": ["at"],
    "additionalProperties": False,
    "properties": {
        "at": {"type": "string", "description": "ISO 8601 time of the visit, with its offset."},
        "landing_path": {"type": "string", "maxLength": MAX_VALUE_LENGTH},
        "ref": {"type": "string", "maxLength": 16},
        **{key: {"type": "string", "maxLength": MAX_VALUE_LENGTH} for key in UTM_KEYS},
    },
}
_TOUCH_OR_NULL: dict[str, Any] = {"anyOf": [{"type": "null"}, _TOUCH]}

ORDER_LINE_ATTRIBUTION_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Order line attribution",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "campaign_id": {"type": ["integer", "null"], "description": "Campaign credited with the line."},
        "campaign_discount": {
            "type": "string",
            "pattern": r"^\d+\.\d{2}$",
            "description": "What the credited campaign's promotions took off the line.",
        },
        "campaign_reason": {"enum": ["promotion", "utm", ""], "description": "Why the campaign is credited."},
        "coupon_codes": {"type": "array", "items": {"type": "string", "maxLength": 32}},
        "offer_ids": {"type": "array", "items": {"type": "integer"}},
        "touches": {
            "anyOf": [
                {"type": "null"},
                {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {"first": _TOUCH_OR_NULL, "last": _TOUCH_OR_NULL, "referral": _TOUCH_OR_NULL},
                },
            ]
        },
        "utm": _UTM_VALUES,
        "referral_code": {"type": "string", "maxLength": 16},
    },
}
_validator = Draft202012Validator(ORDER_LINE_ATTRIBUTION_SCHEMA)


def schema_for_openapi_3_0(schema: Any) -> Any:
    """The same schema in the OpenAPI 3.0 dialect the API documentation uses (``nullable``
    instead of a ``null`` type; no ``$schema`` or ``propertyNames``)."""
    if isinstance(schema, list):
        return [schema_for_openapi_3_0(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in {"$schema", "propertyNames"}:
            continue
        if key == "type" and isinstance(value, list):
            kinds = [k for k in value if k != "null"]
            out["type"] = kinds[0]
            if "null" in value:
                out["nullable"] = True
            continue
        if key == "anyOf" and {"type": "null"} in value:
            rest = [v for v in value if v != {"type": "null"}]
            out.update(schema_for_openapi_3_0(rest[0]) if len(rest) == 1 else {"anyOf": schema_for_openapi_3_0(rest)})
            out["nullable"] = True
            continue
        out[key] = schema_for_openapi_3_0(value)
    return out


def attribution_input_clean(raw: Any) -> dict[str, Any]:
    """A caller's per-line attribution (``utm``, ``referral_code``), checked; refused with the reason.

    ``utm`` keeps the five standard ``utm_*`` keys (others, such as ``utm_id``,
    are dropped) with values cut to 100 characters.
    """
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise CheckoutInvalid(_("Attribution must be an object."), code="attribution")
    unknown = set(raw) - CALLER_KEYS
    if "campaign_id" in unknown:
        raise CheckoutInvalid(
            _(
                "campaign_id cannot be sent: the campaign is worked out from the coupons, offers and "
                "UTM campaign of the order. Send utm and referral_code only."
            ),
            code="attribution",
        )
    if unknown:
        raise CheckoutInvalid(
            _("Unknown attribution fields: %(fields)s.") % {"fields": ", ".join(sorted(map(str, unknown)))},
            code="attribution",
        )
    clean: dict[str, Any] = {}
    utm = raw.get("utm")
    if utm is not None:
        if not isinstance(utm, dict) or not all(isinstance(v, str) for v in utm.values()):
            raise CheckoutInvalid(
                _('utm must be an object of text values, such as {"utm_source": "wechat"}.'), code="attribution"
            )
        kept = {k: str(utm[k]).strip()[:MAX_VALUE_LENGTH] for k in UTM_KEYS if str(utm.get(k, "")).strip()}
        if kept:
            clean["utm"] = kept
    code = raw.get("referral_code")
    if code not in (None, ""):
        if not isinstance(code, str) or not REF_PATTERN.match(code):
            raise CheckoutInvalid(
                _("referral_code must be 4 to 16 letters, digits, - or _."),
                code="attribution",
            )
        clean["referral_code"] = code
    return clean


def attribution_with_caller_input(
    *, base: Attribution | None, clean: dict[str, Any], at: datetime
) -> Attribution | None:
    """``base`` (the visits the site saw) with the caller's ``utm``/``referral_code`` as the latest visit."""
    if not clean:
        return base
    touch = Touch(at=at, ref=clean.get("referral_code", ""), **clean.get("utm", {}))
    return attribution_merge(base or Attribution(first=None, last=None, referral=None), touch, now=at)


def order_line_attribution_document(*, promotion: dict[str, Any], touches: Attribution | None) -> dict[str, Any]:
    """The JSON stored on an order line: what promotions said of the line, plus ``utm`` and
    ``referral_code`` read off the visits. Raises ``ValueError`` if it would break the schema."""
    document = dict(promotion)
    if touches is not None:
        visit = touches.last if touches.last is not None and touches.last.has_utm else touches.first
        if visit is not None and visit.has_utm:
            document["utm"] = {key: getattr(visit, key) for key in UTM_KEYS if getattr(visit, key)}
        if touches.referral_code:
            document["referral_code"] = touches.referral_code
    problems = sorted(_validator.iter_errors(document), key=lambda e: list(e.path))
    if problems:
        raise ValueError(f"order line attribution breaks its schema: {problems[0].message}")
    return document


def order_line_attribution_check(document: Any) -> list[str]:
    """What is wrong with a stored attribution document (empty when it follows the schema)."""
    return [error.message for error in _validator.iter_errors(document)]
