from django.urls import path

from commerce import views

app_name = "commerce"

urlpatterns = [
    path("pay/sandbox/<uuid:public_id>/", views.sandbox_pay, name="sandbox-pay"),
    path("webhooks/payments/<slug:provider>/", views.payment_webhook, name="payment-webhook"),
]
