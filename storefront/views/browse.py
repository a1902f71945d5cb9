"""Pages to find things: home, listings by kind, topics and search."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from catalog.models import Product
from catalog.selectors import topic_tree
from insights.models import Event
from insights.services import event_record_for_request
from storefront.forms import SearchForm
from storefront.selectors import home_rows, product_languages, product_list_search, topic_get
from storefront.seo import PageMeta, breadcrumb_jsonld, item_list_jsonld
from storefront.territory import shopper_territory
from storefront.views.common import language_from_url, render_page

PAGE_SIZE = 24
RECOMMENDED_SLOT = "home_recommended"


def recommended_for(request: HttpRequest, *, fallback: list[Product]) -> tuple[list[Product], str]:
    """The "recommended for you" row and the model version that chose it ("" for the
    popularity fallback, which is what every shopper sees until a model serves them)."""
    return fallback, ""


@language_from_url
def home(request: HttpRequest) -> HttpResponse:
    territory = shopper_territory(request)
    rows = home_rows(territory=territory)
    recommended, model_version = recommended_for(request, fallback=rows.popular)
    search_url = request.build_absolute_uri(reverse("storefront:search"))
    meta = PageMeta(
        title=_("Zhiqiao — courses and books, together"),
        description=_(
            "Paid courses, audio lectures and books from leading publishers, bundled so you learn more for less."
        ),
        path=reverse("storefront:home"),
        jsonld=[
            {
                "@context": "https://schema.org",
                "@type": "WebSite",
                "name": _("Zhiqiao"),
                "url": request.build_absolute_uri("/"),
                "potentialAction": {
                    "@type": "SearchAction",
                    "target": f"{search_url}?q={{search_term_string}}",
                    "query-input": "required name=search_term_string",
                },
            },
            item_list_jsonld(request=request, name=_("Featured bundles"), products=rows.featured_bundles),
        ],
    )
    return render_page(
        request,
        "storefront/home.html",
        {
            "rows": rows,
            "recommended_products": recommended,
            "recommendation_model_version": model_version,
            "recommendation_slot": RECOMMENDED_SLOT,
        },
        meta=meta,
    )


def _listing(
    request: HttpRequest,
    *,
    title: str,
    path: str,
    preset: dict[str, str] | None = None,
    intro: str = "",
    trail: list[tuple[str, str]] | None = None,
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    """A filtered, sorted, paginated list of sellable products."""
    territory = shopper_territory(request)
    data = request.GET.copy()
    for key, value in (preset or {}).items():
        data[key] = value
    form = SearchForm(data, languages=product_languages(), topics=topic_tree())
    form.is_valid()
    filters = form.filters()
    products = product_list_search(territory=territory, filters=filters)
    page = Paginator(products, PAGE_SIZE).get_page(request.GET.get("page"))
    items = list(page.object_list)
    if filters.q:
        event_record_for_request(
            request=request,
            kind=Event.Kind.SEARCH,
            context={
                "query": filters.q,
                "results": page.paginator.count,
                "page": page.number,
                "filters": {k: str(v) for k, v in form.cleaned_data.items() if v not in (None, "") and k != "q"},
            },
        )
    page_path = path if page.number == 1 else f"{path}?page={page.number}"
    jsonld = [
        item_list_jsonld(request=request, name=title, products=items, offset=page.start_index() - 1 if items else 0)
    ]
    if trail:
        jsonld.append(breadcrumb_jsonld(request=request, trail=trail))
    meta = PageMeta(
        title=f"{title} · {_('Zhiqiao')}",
        description=intro or title,
        path=page_path,
        # A result page for a typed query is not a page to index; the listings are.
        noindex=bool(filters.q) or len(set(request.GET) - {"page", "lang"}) > 0,
        jsonld=jsonld,
    )
    context = {
        "title": title,
        "intro": intro,
        "form": form,
        "filters": filters,
        "preset": preset or {},
        "page": page,
        "products": items,
        "trail": trail or [],
        **(extra or {}),
    }
    return render_page(request, "storefront/listing.html", context, meta=meta)


@language_from_url
def search(request: HttpRequest) -> HttpResponse:
    return _listing(request, title=_("Search"), path=reverse("storefront:search"))


@language_from_url
def course_list(request: HttpRequest) -> HttpResponse:
    return _listing(
        request,
        title=_("Courses"),
        path=reverse("storefront:courses"),
        preset={"kind": Product.Kind.COURSE},
        intro=_("Paid courses and audio lectures, each with free preview lessons."),
    )


@language_from_url
def book_list(request: HttpRequest) -> HttpResponse:
    return _listing(
        request,
        title=_("Books"),
        path=reverse("storefront:books"),
        preset={"kind": Product.Kind.BOOK},
        intro=_("Ebooks, audiobooks and print from our publishing partners, with sample chapters to read."),
    )


@language_from_url
def bundle_list(request: HttpRequest) -> HttpResponse:
    return _listing(
        request,
        title=_("Course-plus-book bundles"),
        path=reverse("storefront:bundles"),
        preset={"kind": Product.Kind.BUNDLE},
        intro=_("A course and the books it cites, together for less than apart."),
    )


@language_from_url
def topic_index(request: HttpRequest) -> HttpResponse:
    meta = PageMeta(title=f"{_('Topics')} · {_('Zhiqiao')}", path=reverse("storefront:topics"))
    return render_page(request, "storefront/topics.html", {"topics": topic_tree()}, meta=meta)


@language_from_url
def topic_detail(request: HttpRequest, slug: str) -> HttpResponse:
    topic = topic_get(slug=slug)
    if topic is None:
        raise Http404
    trail = [(_("Home"), reverse("storefront:home")), (_("Topics"), reverse("storefront:topics"))]
    if topic.parent is not None:
        trail.append((topic.parent.display_name, reverse("storefront:topic", kwargs={"slug": topic.parent.slug})))
    path = reverse("storefront:topic", kwargs={"slug": topic.slug})
    trail.append((topic.display_name, path))
    return _listing(
        request,
        title=topic.display_name,
        path=path,
        preset={"topic": topic.slug},
        intro=_("Courses, books and bundles about %(topic)s.") % {"topic": topic.display_name},
        trail=trail,
        extra={"topic": topic},
    )
