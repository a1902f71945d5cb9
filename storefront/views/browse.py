"""Pages to find things: home, listings by kind, topics and search."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from catalog.models import Product
from insights.models import Event
from insights.services import event_record_for_request
from storefront.cache import cached, catalogue_key
from storefront.forms import SearchForm
from storefront.fragments import filter_form_render, home_shelves, results_grid, row_render
from storefront.recommended import HOME_SIZE, HOME_SLOT, recommended_for
from storefront.selectors import (
    ProductResults,
    product_languages,
    sellable_index,
    topic_get,
    topic_tree_cached,
)
from storefront.seo import PageMeta, breadcrumb_jsonld, item_list_jsonld_for_links
from storefront.territory import shopper_territory
from storefront.views.common import language_from_url, render_page

PAGE_SIZE = 24


def _recommended_row(request: HttpRequest, *, territory: str) -> SafeString:
    """The home page's "recommended for you" row, rendered (the same for every anonymous visitor)."""

    def render() -> SafeString:
        row = recommended_for(request, territory=territory, slot=HOME_SLOT, m=HOME_SIZE)
        lead = (
            _("Picked from what you have studied and read.")
            if row.is_personal
            else _("Popular with learners right now.")
        )
        return row_render(shelf_id="recommended", heading=_("Recommended for you"), lead=lead, row=row)

    if request.user.is_authenticated:
        return render()
    return cached(catalogue_key("home-recommended", territory, get_language()), render)


@language_from_url
def home(request: HttpRequest) -> HttpResponse:
    territory = shopper_territory(request)
    shelves = home_shelves(territory=territory)
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
            item_list_jsonld_for_links(request=request, name=_("Featured bundles"), links=shelves.featured),
        ],
    )
    context = {"shelves": shelves, "recommended_row": _recommended_row(request, territory=territory)}
    return render_page(request, "storefront/home.html", context, meta=meta)


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
    form = SearchForm(data, languages=product_languages(), topics=topic_tree_cached())
    form.is_valid()
    filters = form.filters()
    index = sellable_index(territory=territory)
    results = ProductResults(territory=territory, filters=filters, index=index)
    page: Page[int] = Paginator(results, PAGE_SIZE).get_page(request.GET.get("page"))  # type: ignore[arg-type]
    grid = results_grid(
        results_key=results.key, page_number=page.number, ids=list(page.object_list), territory=territory, index=index
    )
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
    offset = page.start_index() - 1 if grid.links else 0
    jsonld = [item_list_jsonld_for_links(request=request, name=title, links=grid.links, offset=offset)]
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
        "filter_form": filter_form_render(
            form=form, preset=preset or {}, path=request.path, is_filtered=bool(request.GET)
        ),
        "filters": filters,
        "preset": preset or {},
        "page": page,
        "grid": grid,
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
    return render_page(request, "storefront/topics.html", {"topics": topic_tree_cached()}, meta=meta)


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
