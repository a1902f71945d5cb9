"""Signals for the layers above commerce (settlements, insights, storefront).

Both are sent after the transaction that caused them has committed, once per
order or refund (a replayed webhook or a repeated request sends nothing).

``order_paid``
    ``sender``: :class:`commerce.models.Order`; ``order``: the paid
    ``Order`` (its ``lines`` and their ``items`` are in the database).
``order_refunded``
    ``sender``: :class:`commerce.models.Refund`; ``refund``: the succeeded
    ``Refund`` (its ``lines`` name the order lines / bundle items given back,
    ``refund.order`` is the order with its new status).
"""

from django.dispatch import Signal

order_paid = Signal()
order_refunded = Signal()
