"""The sandbox provider's hosted payment page and the payment webhook endpoint.

Shoppers' cart, checkout and library pages are the storefront's; these two
are the provider's side of the payment (the hosted page) and the endpoint
providers call.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from commerce.errors import DomainError, WebhookRejected
from commerce.models import Payment
from commerce.payments.sandbox import OUTCOME_EVENTS
from commerce.selectors import order_get_by_payment
from commerce.services.sandbox import sandbox_outcome_submit
from core.api.errors import error_body


@require_http_methods(["GET", "POST"])
def sandbox_pay(request: HttpRequest, public_id: str) -> HttpResponse:
    """The hosted page: GET shows what is being paid, POST (Pay / Fail / Cancel)
    queues the provider's webhook and sends the payer back to the shop. The
    return never marks anything paid: only the webhook does."""
    payment = order_get_by_payment(public_id=public_id)
    if payment is None or payment.provider != "sandbox":
        return render(request, "commerce/sandbox_pay.html", {"payment": None}, status=404)
    if request.method == "POST":
        outcome = request.POST.get("outcome", "")
        if outcome not in OUTCOME_EVENTS:
            messages.error(request, _("Choose Pay, Fail or Cancel."))
            return HttpResponseRedirect(request.path)
        try:
            sandbox_outcome_submit(payment=payment, outcome=outcome)
        except DomainError as exc:
            messages.error(request, exc.message)
            return HttpResponseRedirect(request.path)
        return HttpResponseRedirect(payment.return_url or request.path)
    payment.refresh_from_db()
    return render(
        request,
        "commerce/sandbox_pay.html",
        {
            "payment": payment,
            "order": payment.order,
            "lines": payment.order.lines.all(),
            "is_open": payment.status == Payment.Status.CREATED,
        },
    )


@csrf_exempt
@require_POST
def payment_webhook(request: HttpRequest, provider: str) -> HttpResponse:
    """Where providers POST their signed events. 200 for an accepted (or replayed)
    event, 400 for a rejected one, so the provider does not retry a forgery."""
    from commerce.services import webhook_receive

    try:
        result = webhook_receive(provider_name=provider, body=request.body, headers=request.headers)
    except WebhookRejected as exc:
        return JsonResponse(error_body(status_code=400, code=exc.code, message=exc.message), status=400)
    return JsonResponse({"received": True, "outcome": result.outcome})
