"""Partner portal pages for the catalogue (``/partner/<slug>/catalog/``)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from catalog.models import Product
from users.models import Partner, User
from users.selectors import membership_role


def portal_partner_or_404(request: HttpRequest, slug: str) -> Partner:
    """The partner whose portal page is asked for, if the user is its member (or staff)."""
    partner = get_object_or_404(Partner, slug=slug)
    user = request.user
    assert isinstance(user, User)
    if not user.is_staff and membership_role(user=user, partner=partner) is None:
        raise Http404
    return partner


@login_required
def portal(request: HttpRequest, slug: str) -> HttpResponse:
    partner = portal_partner_or_404(request, slug)
    products = Product.objects.filter(owner=partner).prefetch_related("variants").order_by("-updated_at")[:200]
    return render(request, "catalog/portal.html", {"partner": partner, "products": products})
