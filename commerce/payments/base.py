"""The interface a payment provider implements.

Adding Alipay, WeChat Pay or Stripe is one new subclass of
:class:`PaymentProvider`, named in settings ``PAYMENT_PROVIDERS``::

    PAYMENT_PROVIDERS = {
        "sandbox": {"class": "commerce.payments.sandbox.SandboxProvider", "options": {...}},
        "alipay": {"class": "commerce.payments.alipay.AlipayProvider", "options": {"app_id": ...}},
    }

The flow every provider follows:

1. ``payment_create`` registers the payment with the provider and returns the
   URL of its hosted page, where the shopper pays.
2. The provider confirms *asynchronously* by calling our webhook
   (``/webhooks/payments/<name>/``); ``webhook_parse`` verifies that the call
   is genuine and recent and turns it into a :class:`ProviderEvent`. The
   browser's return from the hosted page never marks anything paid.
3. ``refund_create`` gives money back; ``payment_cancel`` closes a payment
   that must no longer be paid.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from commerce.models import Payment


# The kinds of event a provider reports; ``webhook_parse`` maps its own names to these.
EVENT_PAYMENT_SUCCEEDED = "payment.succeeded"
EVENT_PAYMENT_FAILED = "payment.failed"
EVENT_PAYMENT_CANCELLED = "payment.cancelled"
EVENT_KINDS = frozenset({EVENT_PAYMENT_SUCCEEDED, EVENT_PAYMENT_FAILED, EVENT_PAYMENT_CANCELLED})


@dataclass(frozen=True)
class PaymentSession:
    """What the provider answered to ``payment_create``."""

    provider_ref: str
    redirect_url: str


@dataclass(frozen=True)
class ProviderEvent:
    """A verified webhook event, in the provider-neutral terms the services use."""

    event_id: str
    kind: str
    provider_ref: str
    amount: Decimal
    currency: str
    payload: dict[str, Any] = field(default_factory=dict)
    message: str = ""


@dataclass(frozen=True)
class RefundResult:
    succeeded: bool
    provider_ref: str = ""
    message: str = ""


class PaymentProvider(ABC):
    """One payment provider. Instances are built by the registry with the
    ``options`` of their settings entry; they hold no per-request state."""

    name: ClassVar[str]

    def __init__(self, **options: Any) -> None:
        self.options = options

    @abstractmethod
    def payment_create(self, *, payment: Payment) -> PaymentSession:
        """Register ``payment`` with the provider. Must be safe to call twice for
        the same payment (use ``payment.public_id`` as the provider's idempotency key)."""

    @abstractmethod
    def webhook_parse(self, *, body: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        """Verify and decode a webhook call. Raises ``commerce.errors.WebhookRejected``
        when the signature is wrong, the call too old, or the body malformed."""

    @abstractmethod
    def refund_create(self, *, payment: Payment, amount: Decimal, reference: str) -> RefundResult:
        """Give ``amount`` of ``payment`` back. ``reference`` is our idempotency key
        for the refund: the same reference must never refund twice."""

    def payment_cancel(self, *, payment: Payment) -> None:  # noqa: B027 -- optional for providers
        """Close a payment that must no longer be paid (the order was cancelled or expired).
        Providers without such a call rely on the late-payment refund instead."""
