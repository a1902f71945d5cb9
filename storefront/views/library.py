"""A shopper's own pages: the library, order history and writing a review."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from catalog.models import Review
from catalog.selectors import product_get_public
from catalog.services import review_upsert
from commerce.selectors import order_list_for_user, user_owns
from insights.models import Event
from insights.services import event_record_for_request
from storefront.forms import ReviewForm
from storefront.selectors import library_shelves
from storefront.seo import PageMeta
from storefront.views.common import language_from_url, render_page
from users.models import User


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


@login_required
@language_from_url
def library(request: HttpRequest) -> HttpResponse:
    """Everything the shopper may use now: courses to play, books to read, the bundles they came in."""
    shelves = library_shelves(user=_user(request))
    meta = PageMeta(title=f"{_('My library')} · {_('Zhiqiao')}", path=reverse("storefront:library"), noindex=True)
    return render_page(request, "storefront/library.html", {"shelves": shelves}, meta=meta)


@login_required
@language_from_url
def order_history(request: HttpRequest) -> HttpResponse:
    page = Paginator(order_list_for_user(user=_user(request)), 20).get_page(request.GET.get("page"))
    meta = PageMeta(title=f"{_('My orders')} · {_('Zhiqiao')}", path=reverse("storefront:orders"), noindex=True)
    return render_page(request, "storefront/orders.html", {"page": page, "orders": list(page.object_list)}, meta=meta)


@login_required
@language_from_url
def review_write(request: HttpRequest, slug: str) -> HttpResponse:
    """Write or edit one's review; only owners may review."""
    user = _user(request)
    product = product_get_public(slug=slug)
    if product is None:
        raise Http404
    if not user_owns(user, product):
        messages.error(request, _("Only people who own «%(title)s» can review it.") % {"title": product.title})
        return redirect(product.get_absolute_url())
    existing = Review.objects.filter(user=user, product=product).first()
    form = ReviewForm(request.POST or None, instance=existing)
    if request.method == "POST" and form.is_valid():
        review_upsert(
            user=user,
            product=product,
            rating=form.cleaned_data["rating"],
            title=form.cleaned_data["title"],
            body=form.cleaned_data["body"],
        )
        event_record_for_request(
            request=request, kind=Event.Kind.RATING, product=product, context={"rating": form.cleaned_data["rating"]}
        )
        messages.success(request, _("Thank you: your review of «%(title)s» is published.") % {"title": product.title})
        return redirect(f"{product.get_absolute_url()}#reviews")
    meta = PageMeta(
        title=f"{_('Review')} · {product.title}",
        path=reverse("storefront:review", kwargs={"slug": product.slug}),
        noindex=True,
    )
    return render_page(
        request, "storefront/review_form.html", {"product": product, "form": form, "existing": existing}, meta=meta
    )
