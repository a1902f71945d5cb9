"""Thin tasks: each loads by id (or takes the signed body) and calls one service; safe to run twice."""

from __future__ import annotations

from celery import shared_task

from commerce import services
from commerce.services import payments as payment_services


@shared_task
def webhook_deliver(provider_name: str, body: str, headers: dict[str, str]) -> str:
    """Deliver a provider's signed webhook to our webhook service, as the provider's
    POST to ``/webhooks/payments/<name>/`` would. A replay changes nothing."""
    return services.webhook_receive(provider_name=provider_name, body=body.encode(), headers=headers).outcome


@shared_task
def payment_refund_late(payment_id: int, reason: str) -> str:
    return services.payment_refund_late(payment_id=payment_id, reason=reason).status


@shared_task
def payment_provider_cancel(payment_id: int) -> None:
    payment_services.payment_provider_cancel(payment_id=payment_id)


@shared_task
def orders_expire_stale() -> int:
    return services.orders_expire_stale()
