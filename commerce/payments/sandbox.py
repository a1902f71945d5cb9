"""The built-in sandbox provider: a payment provider that behaves like a real one.

Its hosted page lives on our own site (``/pay/sandbox/<payment id>/``) with
Pay, Fail and Cancel buttons. A click there plays the provider's part: it
builds an event, signs it with HMAC-SHA256 over ``"<timestamp>.<body>"``
and delivers it to the webhook *asynchronously* (a Celery task queued on
commit, which hands the signed body to the same service the HTTP webhook
endpoint calls). The signature header reads ``t=<unix seconds>,v1=<hex>``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.urls import reverse
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from commerce.errors import WebhookRejected
from commerce.payments.base import (
    EVENT_KINDS,
    PaymentProvider,
    PaymentSession,
    ProviderEvent,
    RefundResult,
)

if TYPE_CHECKING:
    from commerce.models import Payment

SIGNATURE_HEADER = "Zhiqiao-Sandbox-Signature"
DEFAULT_TOLERANCE_SECONDS = 300

OUTCOME_EVENTS = {"pay": "payment.succeeded", "fail": "payment.failed", "cancel": "payment.cancelled"}


class SandboxProvider(PaymentProvider):
    name = "sandbox"

    # --- our side -----------------------------------------------------------

    @property
    def secret(self) -> bytes:
        configured = self.options.get("webhook_secret") or getattr(settings, "PAYMENT_SANDBOX_WEBHOOK_SECRET", "")
        if configured:
            return str(configured).encode()
        # Derived from SECRET_KEY, so every deployment has its own without setup.
        return salted_hmac("commerce.sandbox.webhook", "secret").hexdigest().encode()

    @property
    def tolerance_seconds(self) -> int:
        configured = self.options.get("tolerance_seconds") or getattr(
            settings, "PAYMENT_WEBHOOK_TOLERANCE_SECONDS", DEFAULT_TOLERANCE_SECONDS
        )
        return int(str(configured))

    def payment_create(self, *, payment: Payment) -> PaymentSession:
        # Deterministic from the payment's public id: calling twice is harmless.
        return PaymentSession(
            provider_ref=f"sbx_{payment.public_id.hex}",
            redirect_url=reverse("commerce:sandbox-pay", kwargs={"public_id": payment.public_id}),
        )

    def webhook_parse(self, *, body: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        header = _header(headers, SIGNATURE_HEADER)
        if not header:
            raise WebhookRejected(_("The webhook has no signature."), code="signature_missing")
        parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
        try:
            timestamp = int(parts.get("t", ""))
        except ValueError as exc:
            raise WebhookRejected(_("The webhook signature has no valid timestamp."), code="signature_invalid") from exc
        expected = self.sign(body=body, timestamp=timestamp)
        if not hmac.compare_digest(expected, parts.get("v1", "")):
            raise WebhookRejected(_("The webhook signature does not match."), code="signature_invalid")
        # Checked after the signature, so a forged timestamp cannot probe the tolerance.
        if abs(time.time() - timestamp) > self.tolerance_seconds:
            raise WebhookRejected(
                _("The webhook is too old (or from the future); it was not processed."), code="timestamp_out_of_range"
            )
        try:
            data = json.loads(body)
            kind = str(data["type"])
            obj = data["data"]
            event = ProviderEvent(
                event_id=str(data["id"]),
                kind=kind,
                provider_ref=str(obj["reference"]),
                amount=Decimal(str(obj["amount"])),
                currency=str(obj["currency"]),
                payload=data,
                message=str(obj.get("message", "")),
            )
        except (ValueError, KeyError, TypeError, InvalidOperation) as exc:
            raise WebhookRejected(_("The webhook body is malformed."), code="malformed") from exc
        if kind not in EVENT_KINDS:
            raise WebhookRejected(_("The webhook event type is unknown."), code="unknown_event")
        return event

    def refund_create(self, *, payment: Payment, amount: Decimal, reference: str) -> RefundResult:
        if self.options.get("fail_refunds"):
            return RefundResult(succeeded=False, message="refund declined by the sandbox")
        # A real provider answers a repeated reference with the first refund.
        return RefundResult(succeeded=True, provider_ref=f"sbx_re_{uuid.uuid5(uuid.NAMESPACE_URL, reference).hex}")

    # --- the provider's side (what the hosted page does) --------------------

    def sign(self, *, body: bytes, timestamp: int) -> str:
        return hmac.new(self.secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()

    def event_build(
        self, *, payment: Payment, outcome: str, timestamp: int | None = None, event_id: str | None = None
    ) -> tuple[bytes, dict[str, str]]:
        """The signed webhook the provider would send for ``outcome`` (pay, fail or cancel) of ``payment``."""
        if outcome not in OUTCOME_EVENTS:
            raise ValueError(f"unknown sandbox outcome {outcome!r}")
        timestamp = int(time.time()) if timestamp is None else timestamp
        payload: dict[str, Any] = {
            "id": event_id or f"evt_{uuid.uuid4().hex}",
            "type": OUTCOME_EVENTS[outcome],
            "created": timestamp,
            "data": {
                "reference": payment.provider_ref or "",
                "amount": str(payment.amount),
                "currency": payment.currency,
                "message": {"fail": "card declined (sandbox)", "cancel": "cancelled by the payer"}.get(outcome, ""),
            },
        }
        body = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
        return body, {SIGNATURE_HEADER: f"t={timestamp},v1={self.sign(body=body, timestamp=timestamp)}"}


def _header(headers: Mapping[str, str], name: str) -> str:
    """A header by name, from a plain mapping or Django's ``request.headers`` (case-insensitive)."""
    value = headers.get(name)
    if value is None:
        lowered = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == lowered), "")
    return value or ""
