"""robots.txt, the region picker and other plumbing pages."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from storefront.territory import SESSION_KEY, territory_is_valid

# Pages that are a person's own or an interface, not content.
PRIVATE_PREFIXES = [
    "/cart/",
    "/checkout/",
    "/library/",
    "/orders/",
    "/reviews/",
    "/accounts/",
    "/partner/",
    "/admin/",
    "/api/",
    "/events/",
    "/search/",
]


@require_GET
def robots_txt(request: HttpRequest) -> HttpResponse:
    lines = ["User-agent: *", *[f"Disallow: {prefix}" for prefix in PRIVATE_PREFIXES], "Allow: /", ""]
    lines.append(f"Sitemap: {request.build_absolute_uri(reverse('storefront:sitemap-index'))}")
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


@require_POST
def territory_set(request: HttpRequest) -> HttpResponse:
    """Let a shopper say where they are; prices and what can be bought follow."""
    code = request.POST.get("territory", "").strip().upper()
    if territory_is_valid(code):
        request.session[SESSION_KEY] = code
    else:
        messages.error(request, _("That is not a region we know. Choose one from the list."))
    target = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    return redirect(target)
