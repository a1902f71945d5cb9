import time

import pytest

from commerce.errors import WebhookRejected
from commerce.models import Entitlement, Order, Payment, PaymentEvent, WebhookDelivery
from commerce.services import webhook_receive
from commerce.signals import order_paid
from tests.factories.commerce import checkout_for, deliver, webhook_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid_signals():
    received = []

    def handler(sender, order, **kwargs):
        received.append(order.number)

    order_paid.connect(handler)
    yield received
    order_paid.disconnect(handler)


def _state(order):
    order.refresh_from_db()
    return order.status, order.payment.status


def test_successful_payment_marks_the_order_paid_and_grants_the_bundle(
    shopper, bundle, book, course, django_capture_on_commit_callbacks, paid_signals
):
    result = checkout_for(shopper, bundle)
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(result.payment, "pay") == "captured"
    assert _state(result.order) == ("paid", "succeeded")
    assert set(Entitlement.objects.filter(user=shopper).values_list("product_id", flat=True)) == {
        bundle.product_id,
        book.product_id,
        course.product_id,
    }
    assert paid_signals == [result.order.number]


def test_replayed_webhook_changes_nothing(shopper, book, django_capture_on_commit_callbacks, paid_signals):
    result = checkout_for(shopper, book)
    body, headers = webhook_for(result.payment, "pay")
    with django_capture_on_commit_callbacks(execute=True):
        first = webhook_receive(provider_name="sandbox", body=body, headers=headers)
        replay = webhook_receive(provider_name="sandbox", body=body, headers=headers)
    assert (first.outcome, replay.outcome) == ("captured", "replayed")
    assert Order.objects.count() == Payment.objects.count() == 1
    assert Entitlement.objects.count() == 1
    assert PaymentEvent.objects.filter(to_status="succeeded").count() == 1
    assert WebhookDelivery.objects.count() == 1
    assert paid_signals == [result.order.number]


def test_a_second_success_event_for_a_paid_payment_is_ignored(shopper, book):
    result = checkout_for(shopper, book)
    assert deliver(result.payment, "pay") == "captured"
    assert deliver(result.payment, "pay") == "already_final"
    assert Entitlement.objects.count() == 1


def test_bad_signature_is_rejected_and_changes_nothing(shopper, book):
    result = checkout_for(shopper, book)
    body, headers = webhook_for(result.payment, "pay")
    timestamp = headers["Zhiqiao-Sandbox-Signature"].split(",")[0]
    forged = {"Zhiqiao-Sandbox-Signature": f"{timestamp},v1={'0' * 64}"}
    with pytest.raises(WebhookRejected) as raised:
        webhook_receive(provider_name="sandbox", body=body, headers=forged)
    assert raised.value.code == "signature_invalid"
    tampered = body.replace(b'"type":"payment.succeeded"', b'"type":"payment.succeeded" ')
    with pytest.raises(WebhookRejected):
        webhook_receive(provider_name="sandbox", body=tampered, headers=headers)
    assert _state(result.order) == ("pending_payment", "created")
    assert not WebhookDelivery.objects.exists() and not Entitlement.objects.exists()


def test_old_timestamp_is_rejected_and_changes_nothing(shopper, book):
    result = checkout_for(shopper, book)
    body, headers = webhook_for(result.payment, "pay", timestamp=int(time.time()) - 301)
    with pytest.raises(WebhookRejected) as raised:
        webhook_receive(provider_name="sandbox", body=body, headers=headers)
    assert raised.value.code == "timestamp_out_of_range"
    assert _state(result.order) == ("pending_payment", "created")
    assert not WebhookDelivery.objects.exists()


def test_missing_signature_is_rejected(shopper, book):
    result = checkout_for(shopper, book)
    body, _headers = webhook_for(result.payment, "pay")
    with pytest.raises(WebhookRejected):
        webhook_receive(provider_name="sandbox", body=body, headers={})


def test_failed_payment_fails_the_order(shopper, book):
    result = checkout_for(shopper, book)
    assert deliver(result.payment, "fail") == "failed"
    assert _state(result.order) == ("failed", "failed")
    assert not Entitlement.objects.exists()


def test_cancelled_payment_cancels_the_order(shopper, book):
    result = checkout_for(shopper, book)
    assert deliver(result.payment, "cancel") == "cancelled"
    assert _state(result.order) == ("cancelled", "cancelled")


def test_amount_that_differs_from_the_order_is_not_captured(shopper, book):
    result = checkout_for(shopper, book)
    Payment.objects.filter(pk=result.payment.pk).update(amount="1.00")
    result.payment.refresh_from_db()
    body, headers = webhook_for(result.payment, "pay")
    Payment.objects.filter(pk=result.payment.pk).update(amount=result.order.total)
    assert webhook_receive(provider_name="sandbox", body=body, headers=headers).outcome == "amount_mismatch"
    assert _state(result.order) == ("pending_payment", "created")


def test_money_arriving_for_a_cancelled_order_is_given_back(shopper, book, django_capture_on_commit_callbacks):
    first = checkout_for(shopper, book)
    checkout_for(shopper, book)  # supersedes the first order
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(first.payment, "pay") == "late_payment_refunding"
    assert _state(first.order) == ("cancelled", "refunded")
    assert not Entitlement.objects.exists()


def test_webhook_endpoint_accepts_signed_events_and_rejects_forgeries(client, shopper, book):
    result = checkout_for(shopper, book)
    body, headers = webhook_for(result.payment, "pay")
    http_headers = {"HTTP_ZHIQIAO_SANDBOX_SIGNATURE": headers["Zhiqiao-Sandbox-Signature"]}
    forged = client.post(
        "/webhooks/payments/sandbox/",
        data=body,
        content_type="application/json",
        HTTP_ZHIQIAO_SANDBOX_SIGNATURE="t=1,v1=00",
    )
    assert forged.status_code == 400
    assert forged.json()["error"]["code"] == "signature_invalid"
    ok = client.post("/webhooks/payments/sandbox/", data=body, content_type="application/json", **http_headers)
    assert ok.status_code == 200 and ok.json()["outcome"] == "captured"
    again = client.post("/webhooks/payments/sandbox/", data=body, content_type="application/json", **http_headers)
    assert again.json()["outcome"] == "replayed"
    assert _state(result.order) == ("paid", "succeeded")


def test_hosted_page_pays_through_the_webhook_not_the_return(client, shopper, book, django_capture_on_commit_callbacks):
    result = checkout_for(shopper, book, return_url="/orders/done/")
    page = client.get(result.redirect_url)
    assert page.status_code == 200 and "60.00" in page.content.decode()
    # Without the webhook (callbacks not run), the click and the return mark nothing paid.
    response = client.post(result.redirect_url, {"outcome": "pay"})
    assert response.status_code == 302 and response["Location"] == "/orders/done/"
    assert _state(result.order) == ("pending_payment", "created")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(result.redirect_url, {"outcome": "pay"})
    assert _state(result.order) == ("paid", "succeeded")
    closed = client.post(result.redirect_url, {"outcome": "pay"})
    assert closed.status_code == 302
    assert WebhookDelivery.objects.count() == 1


def test_hosted_page_of_an_unknown_payment_is_not_found(client):
    assert client.get("/pay/sandbox/00000000-0000-0000-0000-000000000000/").status_code == 404
