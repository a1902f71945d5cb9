"""What the sandbox provider's hosted page does when the payer clicks a button."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from commerce.errors import CheckoutInvalid
from commerce.models import Payment
from commerce.payments.registry import provider_get
from commerce.payments.sandbox import SandboxProvider


def sandbox_outcome_submit(*, payment: Payment, outcome: str) -> None:
    """Play the provider: queue the signed webhook for ``outcome`` (pay, fail, cancel)
    of ``payment``, delivered asynchronously after this transaction commits."""
    from commerce import tasks

    provider = provider_get(payment.provider)
    if not isinstance(provider, SandboxProvider):
        raise CheckoutInvalid(_("This payment is not handled by the sandbox."), code="not_sandbox")
    if payment.status != Payment.Status.CREATED:
        raise CheckoutInvalid(_("This payment has already been completed or closed."), code="payment_closed")
    body, headers = provider.event_build(payment=payment, outcome=outcome)
    name = payment.provider
    transaction.on_commit(lambda: tasks.webhook_deliver.delay(name, body.decode(), headers))
