"""The catalogue admin for merchandisers: find a product fast (title, contributor, ISBN),
narrow the list (kind, format, owner, status, topic, where it may be sold, featured),
change a product and what it is made of on one page, and publish, withdraw or feature
many at once. The product list runs the same few queries however long it is.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.files.uploadedfile import UploadedFile
from django.db import models
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from catalog import services
from catalog.models import (
    Book,
    BundleItem,
    Chapter,
    Contributor,
    Course,
    Lesson,
    LessonSupplement,
    Product,
    ProductContributor,
    ProductStatusEvent,
    Review,
    Rights,
    Topic,
    Variant,
)
from catalog.selectors import rights_in_force_q, topic_descendant_ids
from core.uploads import image_upload_validate
from users.models import User

# --- Filters -------------------------------------------------------------------------------------


class FormatFilter(admin.SimpleListFilter):
    title = _("format")
    parameter_name = "format"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return list(Variant.Format.choices)

    def queryset(self, request: HttpRequest, queryset: QuerySet[Product]) -> QuerySet[Product]:
        if not self.value():
            return queryset
        return queryset.filter(Exists(Variant.objects.filter(product=OuterRef("pk"), format=self.value())))


class RightsTerritoryFilter(admin.SimpleListFilter):
    """Where the product may be sold today (rights in force), or that it may be sold nowhere."""

    title = _("rights territory (today)")
    parameter_name = "territory"
    NOWHERE = "none"
    TERRITORIES = ["CN", "HK", "MO", "TW", "SG", "US", "GB", "JP"]

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [(code, code) for code in self.TERRITORIES] + [(self.NOWHERE, _("No rights in force anywhere"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Product]) -> QuerySet[Product]:
        value = self.value()
        today = timezone.localdate()
        if value == self.NOWHERE:
            in_force = Rights.objects.filter(
                Q(valid_from__isnull=True) | Q(valid_from__lte=today),
                Q(valid_to__isnull=True) | Q(valid_to__gte=today),
                product=OuterRef("pk"),
            )
            return queryset.exclude(Exists(in_force))
        if value in self.TERRITORIES:
            rights = Rights.objects.filter(rights_in_force_q(territory=value, on=today), product=OuterRef("pk"))
            return queryset.filter(Exists(rights))
        return queryset


class TopicFilter(admin.SimpleListFilter):
    """A topic with everything below it."""

    title = _("topic")
    parameter_name = "topic"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        topics = list(Topic.objects.order_by("position", "slug"))
        by_parent: dict[int | None, list[Topic]] = {}
        for topic in topics:
            by_parent.setdefault(topic.parent_id, []).append(topic)
        choices: list[tuple[str, Any]] = []

        def walk(parent: int | None, depth: int) -> None:
            for topic in by_parent.get(parent, []):
                choices.append((topic.slug, "— " * depth + str(topic)))
                walk(topic.pk, depth + 1)

        walk(None, 0)
        return choices

    def queryset(self, request: HttpRequest, queryset: QuerySet[Product]) -> QuerySet[Product]:
        if not self.value():
            return queryset
        ids = topic_descendant_ids(slug=self.value() or "")
        tagged = Product.topics.through.objects.filter(product_id=OuterRef("pk"), topic_id__in=ids)
        return queryset.filter(Exists(tagged))


# --- Inlines on the product page -----------------------------------------------------------------


class VariantInline(admin.TabularInline[Variant, Product]):
    model = Variant
    extra = 0
    fields = ["format", "sku", "isbn13", "price", "currency", "is_active"]
    show_change_link = True


class CreditInline(admin.TabularInline[ProductContributor, Product]):
    model = ProductContributor
    extra = 0
    fields = ["contributor", "role", "position"]
    autocomplete_fields = ["contributor"]
    verbose_name = _("contributor")
    verbose_name_plural = _("contributors")


class RightsForm(forms.ModelForm[Rights]):
    """Territory codes and formats are checked as the API checks them, so that a typo
    ("China") does not quietly make a product unsellable."""

    class Meta:
        model = Rights
        fields = ["territories", "excluded_territories", "formats", "valid_from", "valid_to"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        problems = services.rights_problems(
            rights=services.RightsInput(
                territories=data.get("territories") or "",
                excluded_territories=data.get("excluded_territories") or "",
                formats=data.get("formats") or "",
                valid_from=data.get("valid_from"),
                valid_to=data.get("valid_to"),
            )
        )
        for field, field_messages in problems.items():
            for message in field_messages:
                self.add_error(field if field in self.fields else None, message)
        return data


class RightsInline(admin.TabularInline[Rights, Product]):
    model = Rights
    form = RightsForm
    extra = 0
    fields = ["territories", "excluded_territories", "formats", "valid_from", "valid_to"]


class BundleItemInline(admin.TabularInline[BundleItem, Product]):
    model = BundleItem
    fk_name = "bundle"
    extra = 0
    fields = ["variant", "position", "standalone_price"]
    readonly_fields = ["standalone_price"]
    autocomplete_fields = ["variant"]

    @admin.display(description=_("standalone price"))
    def standalone_price(self, item: BundleItem) -> str:
        if item.pk is None:
            return "—"
        return f"{item.variant.price} {item.variant.currency}"

    def get_queryset(self, request: HttpRequest) -> QuerySet[BundleItem]:
        return super().get_queryset(request).select_related("variant", "variant__product")


class CourseInline(admin.StackedInline[Course, Product]):
    model = Course
    extra = 0
    max_num = 1
    can_delete = False
    fields = ["level", "what_you_learn", "lessons_link"]
    readonly_fields = ["lessons_link"]

    @admin.display(description=_("lessons"))
    def lessons_link(self, course: Course) -> str:
        if course.pk is None:
            return str(_("Save the product first, then add lessons."))
        url = reverse("admin:catalog_course_change", args=[course.pk])
        return format_html('<a href="{}">{}</a>', url, _("Edit the lessons of this course"))


class BookInline(admin.StackedInline[Book, Product]):
    model = Book
    extra = 0
    max_num = 1
    can_delete = False
    fields = ["page_count", "edition", "chapters_link"]
    readonly_fields = ["chapters_link"]

    @admin.display(description=_("chapters"))
    def chapters_link(self, book: Book) -> str:
        if book.pk is None:
            return str(_("Save the product first, then add chapters."))
        url = reverse("admin:catalog_book_change", args=[book.pk])
        return format_html('<a href="{}">{}</a>', url, _("Edit the chapters of this book"))


# --- Product -------------------------------------------------------------------------------------


class StatusEventInline(admin.TabularInline[ProductStatusEvent, Product]):
    """The product's status history, read-only: rows are appended by the status changes themselves."""

    model = ProductStatusEvent
    fields = ("at", "from_status", "to_status", "source", "actor", "note")
    readonly_fields = ("at", "from_status", "to_status", "source", "actor", "note")
    extra = 0
    can_delete = False
    ordering = ["-at", "-pk"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ProductStatusEvent]:
        return super().get_queryset(request).select_related("actor")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _person(request: HttpRequest) -> User | None:
    user = request.user
    return user if isinstance(user, User) and user.is_authenticated else None


class ProductAdminForm(forms.ModelForm[Product]):
    class Meta:
        model = Product
        # The admin adds the fieldsets' fields (with its URL field overrides) to these.
        fields = ["cover_image"]

    def clean_cover_image(self) -> Any:
        image = self.cleaned_data.get("cover_image")
        # A newly uploaded file (not the one already stored) is checked for size, type and pixels.
        if isinstance(image, UploadedFile):
            image_upload_validate(image)
        return image


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin[Product]):
    form = ProductAdminForm
    list_display = [
        "title",
        "kind",
        "owner",
        "status",
        "formats",
        "prices",
        "is_featured",
        "rating_average",
        "rating_count",
        "updated_at",
        "preview",
    ]
    list_display_links = ["title"]
    list_filter = [
        "kind",
        FormatFilter,
        "owner",
        "status",
        TopicFilter,
        RightsTerritoryFilter,
        "is_featured",
        "language",
    ]
    list_select_related = ["owner"]
    list_per_page = 50
    search_fields = [
        "title",
        "subtitle",
        "slug",
        "record_reference",
        "credits__contributor__name",
        "credits__contributor__sort_name",
        "=variants__isbn13",
        "=variants__sku",
    ]
    search_help_text = _("Title, subtitle, slug, contributor, or an exact ISBN-13 or SKU.")
    date_hierarchy = "created_at"
    autocomplete_fields = ["owner", "topics"]
    prepopulated_fields = {"slug": ["title"]}
    # Status changes go through the actions, which check there is something to sell and record who made them.
    readonly_fields = ["status", "rating_average", "rating_count", "created_at", "updated_at", "preview"]
    actions = ["publish", "withdraw", "feature", "unfeature"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fieldsets = [
        (None, {"fields": ["kind", "owner", "status", "title", "subtitle", "slug", "language", "is_featured"]}),
        (_("Description and cover"), {"fields": ["description", "cover_image", "cover_url"]}),
        (_("Publishing"), {"fields": ["publisher_name", "imprint", "published_on", "record_reference"]}),
        (_("Topics"), {"fields": ["topics"]}),
        (
            _("Rating and history"),
            {"fields": ["rating_average", "rating_count", "created_at", "updated_at", "preview"]},
        ),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Product]:
        return (
            super()
            .get_queryset(request)
            .prefetch_related(Prefetch("variants", queryset=Variant.objects.order_by("price", "pk")))
        )

    def get_inlines(
        self, request: HttpRequest, obj: Product | None
    ) -> list[type[admin.options.InlineModelAdmin[Any, Any]]]:
        inlines: list[type[admin.options.InlineModelAdmin[Any, Any]]] = [VariantInline, CreditInline, RightsInline]
        if obj is not None:
            inlines.append(StatusEventInline)
        if obj is None or obj.kind == Product.Kind.COURSE:
            inlines.append(CourseInline)
        if obj is None or obj.kind == Product.Kind.BOOK:
            inlines.append(BookInline)
        if obj is None or obj.kind == Product.Kind.BUNDLE:
            inlines.append(BundleItemInline)
        return inlines

    @admin.display(description=_("formats"))
    def formats(self, product: Product) -> str:
        return ", ".join(
            str(v.get_format_display()) if v.is_active else f"({v.get_format_display()})"
            for v in product.variants.all()
        )

    @admin.display(description=_("prices"))
    def prices(self, product: Product) -> str:
        prices = sorted({(v.price, v.currency) for v in product.variants.all() if v.is_active})
        if not prices:
            return "—"
        low, high = prices[0], prices[-1]
        return f"{low[0]} {low[1]}" if low == high else f"{low[0]}–{high[0]} {high[1]}"

    @admin.display(description=_("storefront"))
    def preview(self, product: Product) -> str:
        if product.pk is None:
            return "—"
        try:
            url = product.get_absolute_url()
        except NoReverseMatch:
            return "—"
        label = _("View") if product.status == Product.Status.PUBLISHED else _("Preview")
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, label)

    def save_model(self, request: HttpRequest, obj: Product, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not change:
            services.product_status_record(
                product=obj, from_status="", source=ProductStatusEvent.Source.ADMIN, actor=_person(request)
            )

    def _report(self, request: HttpRequest, moved: list[Product], refused: dict[str, str], done: str) -> None:
        if moved:
            self.message_user(request, done % {"n": len(moved)}, messages.SUCCESS)
        if refused:
            reasons = format_html_join("", "<li>{}: {}</li>", refused.items())
            self.message_user(
                request,
                format_html("{}<ul>{}</ul>", _("Some products were left as they were:"), reasons),
                messages.WARNING,
            )

    @admin.action(description=_("Publish the selected products"), permissions=["change"])
    def publish(self, request: HttpRequest, queryset: QuerySet[Product]) -> None:
        moved, refused = services.products_status_set(
            products=queryset,
            status=Product.Status.PUBLISHED,
            source=ProductStatusEvent.Source.ADMIN,
            actor=_person(request),
        )
        self._report(request, moved, refused, str(_("%(n)d products published.")))

    @admin.action(description=_("Withdraw the selected products from sale"), permissions=["change"])
    def withdraw(self, request: HttpRequest, queryset: QuerySet[Product]) -> None:
        moved, refused = services.products_status_set(
            products=queryset,
            status=Product.Status.WITHDRAWN,
            source=ProductStatusEvent.Source.ADMIN,
            actor=_person(request),
        )
        self._report(request, moved, refused, str(_("%(n)d products withdrawn.")))

    @admin.action(description=_("Feature the selected products"), permissions=["change"])
    def feature(self, request: HttpRequest, queryset: QuerySet[Product]) -> None:
        n = services.products_feature(products=queryset, featured=True)
        self.message_user(request, ngettext("%(n)d product featured.", "%(n)d products featured.", n) % {"n": n})

    @admin.action(description=_("Stop featuring the selected products"), permissions=["change"])
    def unfeature(self, request: HttpRequest, queryset: QuerySet[Product]) -> None:
        n = services.products_feature(products=queryset, featured=False)
        self.message_user(
            request, ngettext("%(n)d product no longer featured.", "%(n)d products no longer featured.", n) % {"n": n}
        )


@admin.register(Variant)
class VariantAdmin(admin.ModelAdmin[Variant]):
    """Mostly reached from its product; its own list finds a SKU or ISBN and feeds bundle pickers."""

    list_display = ["sku", "product", "format", "isbn13", "price", "currency", "is_active"]
    list_filter = ["format", "is_active", "currency"]
    list_select_related = ["product"]
    search_fields = ["sku", "=isbn13", "product__title"]
    autocomplete_fields = ["product"]


# --- Courses, lessons, books, chapters -----------------------------------------------------------


class LessonInline(admin.TabularInline[Lesson, Course]):
    model = Lesson
    extra = 0
    fields = ["position", "title", "duration_seconds", "is_free_preview", "media_ref"]
    show_change_link = True
    ordering = ["position"]


class ChapterInline(admin.TabularInline[Chapter, Book]):
    model = Chapter
    extra = 0
    fields = ["number", "title", "page_start", "page_end", "is_free_preview"]
    show_change_link = True
    ordering = ["number"]


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin[Course]):
    list_display = ["product", "level", "lesson_count"]
    list_filter = ["level"]
    list_select_related = ["product"]
    search_fields = ["product__title", "product__slug"]
    fields = ["product", "level", "what_you_learn"]
    readonly_fields = ["product"]
    inlines = [LessonInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Course]:
        return super().get_queryset(request).annotate(n_lessons=Count("lessons"))

    @admin.display(description=_("lessons"), ordering="n_lessons")
    def lesson_count(self, course: Course) -> int:
        return getattr(course, "n_lessons", 0)

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A course is created with its product (on the product page).
        return False


@admin.register(Book)
class BookAdmin(admin.ModelAdmin[Book]):
    list_display = ["product", "edition", "page_count", "chapter_count"]
    list_select_related = ["product"]
    search_fields = ["product__title", "product__slug"]
    fields = ["product", "page_count", "edition"]
    readonly_fields = ["product"]
    inlines = [ChapterInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Book]:
        return super().get_queryset(request).annotate(n_chapters=Count("chapters"))

    @admin.display(description=_("chapters"), ordering="n_chapters")
    def chapter_count(self, book: Book) -> int:
        return getattr(book, "n_chapters", 0)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


class SupplementInline(admin.TabularInline[LessonSupplement, Lesson]):
    model = LessonSupplement
    fk_name = "lesson"
    extra = 0
    fields = ["chapter", "note"]
    autocomplete_fields = ["chapter"]
    verbose_name = _("supplementary chapter")
    verbose_name_plural = _("supplementary chapters (book chapters to read with this lesson)")


class SupplementForChapterInline(admin.TabularInline[LessonSupplement, Chapter]):
    model = LessonSupplement
    fk_name = "chapter"
    extra = 0
    fields = ["lesson", "note"]
    autocomplete_fields = ["lesson"]
    verbose_name = _("lesson it supplements")
    verbose_name_plural = _("lessons this chapter supplements")


@admin.register(Lesson)
class LessonAdmin(admin.ModelAdmin[Lesson]):
    list_display = ["title", "course", "position", "duration_seconds", "is_free_preview"]
    list_filter = ["is_free_preview"]
    list_select_related = ["course__product"]
    search_fields = ["title", "course__product__title"]
    autocomplete_fields = ["course"]
    inlines = [SupplementInline]


@admin.register(Chapter)
class ChapterAdmin(admin.ModelAdmin[Chapter]):
    list_display = ["title", "book", "number", "page_start", "page_end", "is_free_preview"]
    list_filter = ["is_free_preview"]
    list_select_related = ["book__product"]
    search_fields = ["title", "book__product__title"]
    autocomplete_fields = ["book"]
    inlines = [SupplementForChapterInline]


# --- Topics, contributors, reviews ---------------------------------------------------------------


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin[Topic]):
    list_display = ["tree_name", "slug", "name_en", "position", "product_count"]
    list_editable = ["position"]
    list_filter = [("parent", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "name_en", "slug"]
    autocomplete_fields = ["parent"]
    ordering = ["parent__position", "parent__slug", "position", "slug"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Topic]:
        return super().get_queryset(request).select_related("parent").annotate(n_products=Count("products"))

    @admin.display(description=_("topic"), ordering="name")
    def tree_name(self, topic: Topic) -> str:
        # The tree is two or three levels deep: show the parent before the child.
        return f"{topic.parent} › {topic.name}" if topic.parent_id else topic.name

    @admin.display(description=_("products"), ordering="n_products")
    def product_count(self, topic: Topic) -> int:
        return getattr(topic, "n_products", 0)


class ContributorCreditInline(admin.TabularInline[ProductContributor, Contributor]):
    model = ProductContributor
    extra = 0
    fields = ["product", "role", "position"]
    autocomplete_fields = ["product"]
    verbose_name = _("credit")
    verbose_name_plural = _("credits")


@admin.register(Contributor)
class ContributorAdmin(admin.ModelAdmin[Contributor]):
    list_display = ["name", "sort_name", "slug", "product_count"]
    search_fields = ["name", "sort_name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [ContributorCreditInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Contributor]:
        return super().get_queryset(request).annotate(n_products=Count("credits__product", distinct=True))

    @admin.display(description=_("products"), ordering="n_products")
    def product_count(self, contributor: Contributor) -> int:
        return getattr(contributor, "n_products", 0)


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin[Review]):
    """Staff moderate reviews; every change or removal refreshes the product's rating summary."""

    list_display = ["product", "user", "rating", "title", "created_at"]
    list_filter = ["rating", "created_at"]
    list_select_related = ["product", "user"]
    search_fields = ["product__title", "user__email", "user__display_name", "title", "body"]
    autocomplete_fields = ["product", "user"]
    date_hierarchy = "created_at"

    def save_model(self, request: HttpRequest, obj: Review, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        services.product_rating_refresh(product=obj.product)

    def delete_model(self, request: HttpRequest, obj: Review) -> None:
        services.review_delete(review=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Review]) -> None:
        for review in queryset.select_related("product"):
            services.review_delete(review=review)
