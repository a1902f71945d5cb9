"""A product's page (course, book or bundle) and its lessons and chapters."""

from __future__ import annotations

import hashlib

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from catalog.models import Chapter, Lesson, Product, ProductContributor, Review, Variant
from catalog.selectors import product_get_public
from commerce.selectors import user_owns
from insights.models import Event
from insights.services import event_record_for_request
from recommendations.attribution import PARAM as REC_PARAM
from recommendations.attribution import rec_remember
from storefront.cache import cached, catalogue_key
from storefront.fragments import row_render
from storefront.product_page import product_page_get
from storefront.recommended import product_rows
from storefront.selectors import SellableIndex, bundle_list_containing, bundle_view, sellable_index
from storefront.seo import PageMeta, breadcrumb_jsonld, product_jsonld, summary
from storefront.templatetags.storefront import cover_image_url
from storefront.territory import shopper_territory
from storefront.views.common import language_from_url, render_page
from users.models import User

KIND_TRAIL = {
    Product.Kind.COURSE: ("storefront:courses", "Courses"),
    Product.Kind.BOOK: ("storefront:books", "Books"),
    Product.Kind.BUNDLE: ("storefront:bundles", "Bundles"),
}


def _product_or_404(slug: str) -> Product:
    product = product_get_public(slug=slug)
    if product is None:
        raise Http404
    return product


def _kind_crumb(product: Product) -> tuple[str, str]:
    names = {Product.Kind.COURSE: _("Courses"), Product.Kind.BOOK: _("Books"), Product.Kind.BUNDLE: _("Bundles")}
    return names[Product.Kind(product.kind)], reverse(KIND_TRAIL[Product.Kind(product.kind)][0])


def _share_meta(request: HttpRequest, product: Product, variants: list[Variant], sellable_ids: set[int]) -> PageMeta:
    path = product.get_absolute_url()
    credits = list(product.credits.all())
    extra: list[tuple[str, str]] = []
    og_type = "product"
    if product.kind == Product.Kind.BOOK:
        og_type = "book"
        extra += [("book:author", c.contributor.name) for c in credits if c.role == ProductContributor.Role.AUTHOR]
        isbn = next((v.isbn13 for v in variants if v.isbn13), None)
        if isbn:
            extra.append(("book:isbn", isbn))
        if product.published_on:
            extra.append(("book:release_date", product.published_on.isoformat()))
    sellable = [v for v in variants if v.pk in sellable_ids]
    if sellable:
        extra += [
            ("product:price:amount", f"{sellable[0].price:.2f}"),
            ("product:price:currency", sellable[0].currency),
        ]
    jsonld = [
        product_jsonld(request=request, product=product, variants=variants, sellable_ids=sellable_ids),
        breadcrumb_jsonld(
            request=request,
            trail=[(_("Home"), reverse("storefront:home")), _kind_crumb(product), (product.title, path)],
        ),
    ]
    image = cover_image_url(product)
    return PageMeta(
        title=f"{product.title} · {_('Zhiqiao')}",
        description=summary(product.description) or product.subtitle or product.title,
        path=path,
        og_type=og_type,
        image=request.build_absolute_uri(image) if image else "",
        extra_og=extra,
        jsonld=jsonld,
    )


def _more_to_explore(request: HttpRequest, *, product: Product, territory: str, index: SellableIndex) -> SafeString:
    """Below the product: bundles holding it, "complete it with" and similar products, rendered
    (the same for every anonymous visitor of a territory and language; per shopper otherwise)."""

    def render() -> SafeString:
        bundles = bundle_list_containing(product=product, territory=territory, index=index)
        rows = product_rows(request, product=product, territory=territory, index=index)
        context = {"product": product, "bundles": bundles, "complete": rows.complete}
        html = render_to_string("storefront/_product_more.html", context)
        similar = row_render(shelf_id="similar", heading=_("You may also like"), row=rows.similar)
        return mark_safe(html + similar)  # noqa: S308 (both rendered by the template engine)

    if request.user.is_authenticated:
        return render()
    return cached(catalogue_key("product-more", product.pk, territory, get_language()), render)


def _body(context: dict[str, object], *, territory: str) -> SafeString:
    """The page's sections between the buy box and the reviews, rendered: the same for every
    visitor of a territory and language who does or does not own the product."""
    product = context["product"]
    assert isinstance(product, Product)
    key = catalogue_key("product-body", product.pk, territory, get_language(), bool(context["owned"]))
    return cached(key, lambda: mark_safe(render_to_string("storefront/_product_body.html", context)))  # noqa: S308


def _hero(context: dict[str, object]) -> SafeString:
    """Cover, title, people, rating, facts and topics, rendered (the same for every visitor)."""
    product = context["product"]
    assert isinstance(product, Product)
    key = catalogue_key("product-hero", product.pk, get_language())
    return cached(key, lambda: mark_safe(render_to_string("storefront/_product_hero.html", context)))  # noqa: S308


def _head(request: HttpRequest, meta: PageMeta, *, product: Product, territory: str) -> SafeString:
    """The page's canonical and language links, share card and structured data, rendered (per
    territory, since the offers differ, and per address the page was asked for)."""
    origin = f"{request.scheme}://{request.get_host()}"
    key = catalogue_key(
        "product-head", product.pk, territory, get_language(), hashlib.sha256(origin.encode()).hexdigest()[:16]
    )
    context = {"meta": meta, "canonical_url": meta.canonical(request), "alternate_urls": meta.alternates(request)}
    return cached(key, lambda: mark_safe(render_to_string("storefront/_head.html", context, request=request)))  # noqa: S308


@language_from_url
def product_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """A course, book or bundle: what it is, who made it, its offers and reviews; then bundles
    holding it and recommendations. A visit from a recommendation (``?rec=<version>:<slot>``)
    is remembered for the attribution of a purchase."""
    territory = shopper_territory(request)
    page = product_page_get(slug=slug)
    if page is None:
        raise Http404
    product, variants, items = page.product, page.variants, page.bundle_items
    index = sellable_index(territory=territory)
    sellable_ids = {v.pk for v in [*variants, *(i.variant for i in items)] if v.pk in index.variant_set}
    user = request.user if isinstance(request.user, User) and request.user.is_authenticated else None
    owned = user_owns(user, product)
    my_review = next((r for r in page.reviews if user is not None and r.user_id == user.pk), None)
    if user is not None and my_review is None and owned:
        my_review = Review.objects.filter(user=user, product=product).first()
    rec = rec_remember(session=request.session, product_id=product.pk, raw=request.GET.get(REC_PARAM))
    context: dict[str, object] = {
        "product": product,
        "variants": variants,
        "sellable_ids": sellable_ids,
        "sellable_variants": [v for v in variants if v.pk in sellable_ids],
        "credits": page.credits,
        "topics": page.topics,
        "reviews": page.reviews,
        "owned": owned,
        "my_review": my_review,
        "kind_crumb": _kind_crumb(product),
        "lessons": page.lessons,
        "course_seconds": sum(lesson.duration_seconds for lesson in page.lessons),
        "chapters": page.chapters,
        "rec": str(rec) if rec else "",
        "more": _more_to_explore(request, product=product, territory=territory, index=index),
    }
    if product.kind == Product.Kind.BUNDLE:
        bundle_variant = next((v for v in variants if v.format == Variant.Format.BUNDLE), None)
        context["bundle"] = bundle_view(
            items=items, bundle_variant=bundle_variant, sellable_ids=sellable_ids, counts=page.item_counts
        )
        context["bundle_variant"] = bundle_variant
    context["body"] = _body(context, territory=territory)
    context["hero"] = _hero(context)
    meta = _share_meta(request, product, variants, sellable_ids)
    context["head"] = _head(request, meta, product=product, territory=territory)
    event_record_for_request(
        request=request, kind=Event.Kind.VIEW, product=product, context={"ref": request.GET.get("ref", "")[:60]}
    )
    return render_page(request, "storefront/product.html", context, meta=meta)


def _locked(request: HttpRequest, product: Product) -> HttpResponse:
    """Where a shopper goes who opens a lesson or chapter they do not own."""
    if not request.user.is_authenticated:
        messages.info(request, _("Log in to open this: it is part of what you buy."))
        return redirect_to_login(request.get_full_path())
    messages.info(request, _("This part is for owners. Buy it to open it, or try the free previews."))
    return redirect(product.get_absolute_url())


@language_from_url
def lesson_detail(request: HttpRequest, slug: str, position: int) -> HttpResponse:
    """A lesson's player and notes: free previews for everyone, the rest for owners."""
    product = _product_or_404(slug)
    if product.kind != Product.Kind.COURSE or not hasattr(product, "course"):
        raise Http404
    lessons: list[Lesson] = list(product.course.lessons.all())
    lesson = next((lesson for lesson in lessons if lesson.position == position), None)
    if lesson is None:
        raise Http404
    owned = user_owns(request.user if request.user.is_authenticated else None, product)
    if not owned and not lesson.is_free_preview:
        return _locked(request, product)
    if not owned:
        event_record_for_request(
            request=request, kind=Event.Kind.PREVIEW, product=product, context={"lesson": lesson.position}
        )
    index = lessons.index(lesson)
    meta = PageMeta(
        title=f"{lesson.title} · {product.title}",
        description=summary(lesson.body) or product.title,
        path=reverse("storefront:lesson", kwargs={"slug": product.slug, "position": lesson.position}),
        noindex=not lesson.is_free_preview,
    )
    context = {
        "product": product,
        "lesson": lesson,
        "lessons": lessons,
        "owned": owned,
        "previous": lessons[index - 1] if index > 0 else None,
        "next": lessons[index + 1] if index + 1 < len(lessons) else None,
        "supplements": list(lesson.supplements.all()),
    }
    return render_page(request, "storefront/lesson.html", context, meta=meta)


@language_from_url
def chapter_detail(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    """The chapter reader: sample chapters for everyone, the whole book for owners."""
    product = _product_or_404(slug)
    if product.kind != Product.Kind.BOOK or not hasattr(product, "book"):
        raise Http404
    chapters: list[Chapter] = list(product.book.chapters.all())
    chapter = next((c for c in chapters if c.number == number), None)
    if chapter is None:
        raise Http404
    owned = user_owns(request.user if request.user.is_authenticated else None, product)
    if not owned and not chapter.is_free_preview:
        return _locked(request, product)
    if not owned:
        event_record_for_request(
            request=request, kind=Event.Kind.PREVIEW, product=product, context={"chapter": chapter.number}
        )
    index = chapters.index(chapter)
    meta = PageMeta(
        title=f"{chapter.title} · {product.title}",
        description=summary(chapter.excerpt) or product.title,
        path=reverse("storefront:chapter", kwargs={"slug": product.slug, "number": chapter.number}),
        noindex=not chapter.is_free_preview,
    )
    context = {
        "product": product,
        "chapter": chapter,
        "chapters": chapters,
        "owned": owned,
        "previous": chapters[index - 1] if index > 0 else None,
        "next": chapters[index + 1] if index + 1 < len(chapters) else None,
    }
    return render_page(request, "storefront/chapter.html", context, meta=meta)
