"""Shapes of the catalogue API: what the public sees, what a partner sees of its own
products, and what a partner may send to create or change one.

Public shapes never carry the media or notes of a lesson, or the text of a chapter,
that is not a free preview: those belong to buyers.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.urls import NoReverseMatch
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.isbn import validate_isbn13
from catalog.models import (
    BundleItem,
    Chapter,
    Course,
    Lesson,
    LessonSupplement,
    Product,
    ProductContributor,
    Review,
    Rights,
    Topic,
    Variant,
)
from catalog.services import ChapterInput, CreditInput, LessonInput, RightsInput, VariantInput
from core.money import CURRENCIES, DEFAULT_CURRENCY

# --- Pieces shared by every shape ------------------------------------------------------------------


class ErrorDetailSerializer(serializers.Serializer[Any]):
    status = serializers.IntegerField()
    code = serializers.CharField()
    message = serializers.CharField()

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        # The body's key is "fields", which a serializer cannot declare as an attribute
        # (it would hide ``Serializer.fields``).
        fields = super().get_fields()
        fields["fields"] = serializers.DictField(
            child=serializers.ListField(child=serializers.CharField()),
            required=False,
            help_text=_("For validation errors: each bad field (e.g. variants[1].isbn13) and what is wrong with it."),
        )
        return fields


class ErrorBodySerializer(serializers.Serializer[Any]):
    """The one error body of the API (``core.api.errors``), documented for the schema."""

    error = ErrorDetailSerializer()


class TopicBriefSerializer(serializers.ModelSerializer[Topic]):
    class Meta:
        model = Topic
        fields = ["slug", "name", "name_en"]


class TopicTreeSerializer(serializers.ModelSerializer[Topic]):
    children = serializers.SerializerMethodField()

    class Meta:
        model = Topic
        fields = ["slug", "name", "name_en", "children"]

    @extend_schema_field({"type": "array", "items": {"$ref": "#/components/schemas/TopicTree"}})
    def get_children(self, topic: Topic) -> list[dict[str, Any]]:
        return TopicTreeSerializer(getattr(topic, "tree_children", []), many=True).data  # type: ignore[return-value]


class CreditSerializer(serializers.ModelSerializer[ProductContributor]):
    name = serializers.CharField(source="contributor.name", read_only=True)
    slug = serializers.CharField(source="contributor.slug", read_only=True)

    class Meta:
        model = ProductContributor
        fields = ["name", "slug", "role"]


class OwnerSerializer(serializers.Serializer[Any]):
    slug = serializers.SlugField(read_only=True)
    name = serializers.CharField(read_only=True)


class PriceSerializer(serializers.Serializer[Any]):
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)
    currency = serializers.CharField(read_only=True)


class RatingSerializer(serializers.Serializer[Any]):
    average = serializers.DecimalField(max_digits=3, decimal_places=2, read_only=True, source="rating_average")
    count = serializers.IntegerField(read_only=True, source="rating_count")


def _storefront_url(product: Product) -> str | None:
    try:
        return product.get_absolute_url()
    except NoReverseMatch:
        return None


# --- Public shapes -------------------------------------------------------------------------------


class ProductListItemSerializer(serializers.ModelSerializer[Product]):
    """A product in a listing; expects ``product_list_public``'s prefetches."""

    owner = OwnerSerializer(read_only=True)
    topics = TopicBriefSerializer(many=True, read_only=True)
    contributors = CreditSerializer(many=True, read_only=True, source="credits")
    formats = serializers.SerializerMethodField(help_text=_("The formats that can be bought in the territory."))
    price_from = serializers.SerializerMethodField(help_text=_("The cheapest price in the territory."))
    rating = RatingSerializer(source="*", read_only=True)
    url = serializers.SerializerMethodField(help_text=_("The product's storefront page."))

    class Meta:
        model = Product
        fields = [
            "slug",
            "kind",
            "title",
            "subtitle",
            "language",
            "cover_url",
            "owner",
            "topics",
            "contributors",
            "formats",
            "price_from",
            "rating",
            "is_featured",
            "published_on",
            "created_at",
            "url",
        ]

    def get_formats(self, product: Product) -> list[str]:
        return [v.format for v in getattr(product, "sellable_variants", [])]

    @extend_schema_field(PriceSerializer(allow_null=True))
    def get_price_from(self, product: Product) -> dict[str, Any] | None:
        variants = getattr(product, "sellable_variants", [])
        if not variants:
            return None
        cheapest = min(variants, key=lambda v: v.price)
        return {"amount": f"{cheapest.price:.2f}", "currency": cheapest.currency}

    @extend_schema_field(OpenApiTypes.STR)
    def get_url(self, product: Product) -> str | None:
        return _storefront_url(product)


class VariantPublicSerializer(serializers.ModelSerializer[Variant]):
    sellable = serializers.SerializerMethodField(help_text=_("Whether it can be bought in the requested territory."))

    class Meta:
        model = Variant
        fields = ["sku", "format", "isbn13", "price", "currency", "sellable"]

    def get_sellable(self, variant: Variant) -> bool:
        return variant.pk in self.context.get("sellable_ids", set())


class SupplementSerializer(serializers.ModelSerializer[LessonSupplement]):
    book_title = serializers.CharField(source="chapter.book.product.title", read_only=True)
    book_slug = serializers.CharField(source="chapter.book.product.slug", read_only=True)
    chapter_number = serializers.IntegerField(source="chapter.number", read_only=True)
    chapter_title = serializers.CharField(source="chapter.title", read_only=True)

    class Meta:
        model = LessonSupplement
        fields = ["book_title", "book_slug", "chapter_number", "chapter_title", "note"]


class LessonPublicSerializer(serializers.ModelSerializer[Lesson]):
    media_ref = serializers.SerializerMethodField(help_text=_("Only for free-preview lessons."))
    notes = serializers.SerializerMethodField(help_text=_("Only for free-preview lessons."))
    supplements = SupplementSerializer(many=True, read_only=True)

    class Meta:
        model = Lesson
        fields = ["position", "title", "duration_seconds", "is_free_preview", "media_ref", "notes", "supplements"]

    @extend_schema_field(OpenApiTypes.STR)
    def get_media_ref(self, lesson: Lesson) -> str | None:
        return lesson.media_ref if lesson.is_free_preview else None

    @extend_schema_field(OpenApiTypes.STR)
    def get_notes(self, lesson: Lesson) -> str | None:
        return lesson.body if lesson.is_free_preview else None


class ChapterPublicSerializer(serializers.ModelSerializer[Chapter]):
    excerpt = serializers.SerializerMethodField(help_text=_("Only for free-preview chapters."))

    class Meta:
        model = Chapter
        fields = ["number", "title", "page_start", "page_end", "is_free_preview", "excerpt"]

    @extend_schema_field(OpenApiTypes.STR)
    def get_excerpt(self, chapter: Chapter) -> str | None:
        return chapter.excerpt if chapter.is_free_preview else None


class CourseDetailSerializer(serializers.ModelSerializer[Course]):
    lessons = LessonPublicSerializer(many=True, read_only=True)
    lesson_count = serializers.SerializerMethodField()
    total_duration_seconds = serializers.SerializerMethodField()

    class Meta:
        model = Course
        fields = ["level", "what_you_learn", "lesson_count", "total_duration_seconds", "lessons"]

    def get_lesson_count(self, course: Course) -> int:
        return len(course.lessons.all())

    def get_total_duration_seconds(self, course: Course) -> int:
        return sum(lesson.duration_seconds for lesson in course.lessons.all())


class BookDetailSerializer(serializers.Serializer[Any]):
    page_count = serializers.IntegerField(read_only=True, allow_null=True)
    edition = serializers.CharField(read_only=True)
    chapters = ChapterPublicSerializer(many=True, read_only=True)


class BundleItemPublicSerializer(serializers.ModelSerializer[BundleItem]):
    product_slug = serializers.CharField(source="variant.product.slug", read_only=True)
    title = serializers.CharField(source="variant.product.title", read_only=True)
    kind = serializers.CharField(source="variant.product.kind", read_only=True)
    format = serializers.CharField(source="variant.format", read_only=True)
    sku = serializers.CharField(source="variant.sku", read_only=True)
    standalone_price = serializers.DecimalField(source="variant.price", max_digits=14, decimal_places=2, read_only=True)
    currency = serializers.CharField(source="variant.currency", read_only=True)

    class Meta:
        model = BundleItem
        fields = ["product_slug", "title", "kind", "format", "sku", "standalone_price", "currency"]


class BundleDetailSerializer(serializers.Serializer[Any]):
    items = BundleItemPublicSerializer(many=True, read_only=True)
    items_total = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True, allow_null=True)
    price = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True, allow_null=True)
    saving = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        read_only=True,
        allow_null=True,
        help_text=_("What the bundle saves against buying each item on its own."),
    )
    currency = serializers.CharField(read_only=True, allow_null=True)


def bundle_summary(product: Product) -> dict[str, Any] | None:
    """Items, their standalone total, the bundle's price and the saving (prefetched rows only)."""
    if product.kind != Product.Kind.BUNDLE:
        return None
    items = list(product.bundle_items.all())
    bundle_variant = next((v for v in product.variants.all() if v.format == Variant.Format.BUNDLE), None)
    currencies = {item.variant.currency for item in items} | ({bundle_variant.currency} if bundle_variant else set())
    total = sum((item.variant.price for item in items), Decimal("0.00")) if len(currencies) == 1 else None
    price = bundle_variant.price if bundle_variant else None
    saving = total - price if total is not None and price is not None else None
    return {
        "items": items,
        "items_total": total,
        "price": price,
        "saving": saving,
        "currency": next(iter(currencies)) if len(currencies) == 1 else None,
    }


class ProductDetailSerializer(ProductListItemSerializer):
    """A product's page; expects ``product_get_public``'s prefetches and ``sellable_ids`` in the context."""

    variants = VariantPublicSerializer(many=True, read_only=True)
    course = serializers.SerializerMethodField()
    book = serializers.SerializerMethodField()
    bundle = serializers.SerializerMethodField()
    review_count = serializers.IntegerField(source="rating_count", read_only=True)

    class Meta(ProductListItemSerializer.Meta):
        fields = [
            *ProductListItemSerializer.Meta.fields,
            "description",
            "publisher_name",
            "imprint",
            "variants",
            "course",
            "book",
            "bundle",
            "review_count",
        ]

    def get_formats(self, product: Product) -> list[str]:
        sellable = self.context.get("sellable_ids", set())
        return [v.format for v in product.variants.all() if v.pk in sellable]

    @extend_schema_field(PriceSerializer(allow_null=True))
    def get_price_from(self, product: Product) -> dict[str, Any] | None:
        sellable = self.context.get("sellable_ids", set())
        variants = [v for v in product.variants.all() if v.pk in sellable]
        if not variants:
            return None
        cheapest = min(variants, key=lambda v: v.price)
        return {"amount": f"{cheapest.price:.2f}", "currency": cheapest.currency}

    @extend_schema_field(CourseDetailSerializer(allow_null=True))
    def get_course(self, product: Product) -> dict[str, Any] | None:
        course = getattr(product, "course", None) if product.kind == Product.Kind.COURSE else None
        return CourseDetailSerializer(course, context=self.context).data if course else None

    @extend_schema_field(BookDetailSerializer(allow_null=True))
    def get_book(self, product: Product) -> dict[str, Any] | None:
        book = getattr(product, "book", None) if product.kind == Product.Kind.BOOK else None
        if book is None:
            return None
        return {
            "page_count": book.page_count,
            "edition": book.edition,
            "chapters": ChapterPublicSerializer(book.chapters.all(), many=True, context=self.context).data,
        }

    @extend_schema_field(BundleDetailSerializer(allow_null=True))
    def get_bundle(self, product: Product) -> dict[str, Any] | None:
        summary = bundle_summary(product)
        return BundleDetailSerializer(summary, context=self.context).data if summary else None


class PublicReviewSerializer(serializers.ModelSerializer[Review]):
    author = serializers.SerializerMethodField(help_text=_("The reviewer's display name; never the email address."))

    class Meta:
        model = Review
        fields = ["author", "rating", "title", "body", "created_at"]

    def get_author(self, review: Review) -> str:
        return review.user.display_name or _("A reader")  # type: ignore[return-value]


# --- A partner's own products --------------------------------------------------------------------


class RightsSerializer(serializers.ModelSerializer[Rights]):
    class Meta:
        model = Rights
        fields = ["territories", "excluded_territories", "formats", "valid_from", "valid_to"]


class VariantOwnSerializer(serializers.ModelSerializer[Variant]):
    class Meta:
        model = Variant
        fields = ["sku", "format", "isbn13", "price", "currency", "is_active"]


class LessonOwnSerializer(serializers.ModelSerializer[Lesson]):
    class Meta:
        model = Lesson
        fields = ["position", "title", "duration_seconds", "media_ref", "body", "is_free_preview"]


class ChapterOwnSerializer(serializers.ModelSerializer[Chapter]):
    class Meta:
        model = Chapter
        fields = ["number", "title", "excerpt", "page_start", "page_end", "is_free_preview"]


class CourseOwnSerializer(serializers.ModelSerializer[Course]):
    lessons = LessonOwnSerializer(many=True, read_only=True)

    class Meta:
        model = Course
        fields = ["level", "what_you_learn", "lessons"]


class BookOwnSerializer(serializers.Serializer[Any]):
    page_count = serializers.IntegerField(read_only=True, allow_null=True)
    edition = serializers.CharField(read_only=True)
    chapters = ChapterOwnSerializer(many=True, read_only=True)


class PartnerProductListItemSerializer(serializers.ModelSerializer[Product]):
    """One of the partner's products in its list (expects ``product_list_for_partner``'s prefetch)."""

    variants = VariantOwnSerializer(many=True, read_only=True, source="all_variants")
    rating = RatingSerializer(source="*", read_only=True)

    class Meta:
        model = Product
        fields = [
            "slug",
            "kind",
            "status",
            "title",
            "subtitle",
            "language",
            "record_reference",
            "variants",
            "rating",
            "is_featured",
            "created_at",
            "updated_at",
        ]


class PartnerProductSerializer(serializers.ModelSerializer[Product]):
    """Everything about one of the partner's products, drafts included, media and texts in full."""

    topics: serializers.SlugRelatedField[Topic] = serializers.SlugRelatedField(
        many=True, read_only=True, slug_field="slug"
    )
    contributors = CreditSerializer(many=True, read_only=True, source="credits")
    variants = VariantOwnSerializer(many=True, read_only=True)
    rights = RightsSerializer(many=True, read_only=True)
    course = serializers.SerializerMethodField()
    book = serializers.SerializerMethodField()
    bundle = serializers.SerializerMethodField()
    rating = RatingSerializer(source="*", read_only=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = Product
        fields = [
            "slug",
            "kind",
            "status",
            "title",
            "subtitle",
            "description",
            "language",
            "cover_url",
            "publisher_name",
            "imprint",
            "published_on",
            "record_reference",
            "is_featured",
            "topics",
            "contributors",
            "variants",
            "rights",
            "course",
            "book",
            "bundle",
            "rating",
            "created_at",
            "updated_at",
            "url",
        ]

    @extend_schema_field(CourseOwnSerializer(allow_null=True))
    def get_course(self, product: Product) -> dict[str, Any] | None:
        course = getattr(product, "course", None) if product.kind == Product.Kind.COURSE else None
        return CourseOwnSerializer(course).data if course else None

    @extend_schema_field(BookOwnSerializer(allow_null=True))
    def get_book(self, product: Product) -> dict[str, Any] | None:
        book = getattr(product, "book", None) if product.kind == Product.Kind.BOOK else None
        if book is None:
            return None
        chapters = ChapterOwnSerializer(book.chapters.all(), many=True).data
        return {"page_count": book.page_count, "edition": book.edition, "chapters": chapters}

    @extend_schema_field(BundleDetailSerializer(allow_null=True))
    def get_bundle(self, product: Product) -> dict[str, Any] | None:
        summary = bundle_summary(product)
        return BundleDetailSerializer(summary).data if summary else None

    # A draft or withdrawn product has no storefront page: null.
    @extend_schema_field(serializers.CharField(allow_null=True, help_text=_("The product's storefront page.")))
    def get_url(self, product: Product) -> str | None:
        return _storefront_url(product) if product.status == Product.Status.PUBLISHED else None


# --- What a partner sends ------------------------------------------------------------------------


def flatten_errors(detail: Any, path: str = "") -> dict[str, list[Any]]:
    """``{"variants": {0: {"isbn13": [e]}}}`` → ``{"variants[0].isbn13": [e]}``; error codes are kept."""
    flat: dict[str, list[Any]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            if isinstance(key, int) or (isinstance(key, str) and key.isdigit()):
                child = f"{path}[{key}]"
            elif key == "non_field_errors" and path:
                child = path
            else:
                child = f"{path}.{key}" if path else str(key)
            for name, messages in flatten_errors(value, child).items():
                flat.setdefault(name, []).extend(messages)
    elif isinstance(detail, list) and any(isinstance(item, dict | list) for item in detail):
        for i, item in enumerate(detail):
            if item:
                for name, messages in flatten_errors(item, f"{path}[{i}]").items():
                    flat.setdefault(name, []).extend(messages)
    elif isinstance(detail, list):
        flat[path or "non_field_errors"] = list(detail)
    else:
        flat[path or "non_field_errors"] = [detail]
    return flat


class VariantWriteSerializer(serializers.Serializer[Any]):
    format = serializers.ChoiceField(choices=Variant.Format.choices)
    price = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0"))
    currency = serializers.ChoiceField(choices=CURRENCIES, default=DEFAULT_CURRENCY)
    isbn13 = serializers.CharField(
        max_length=17, required=False, allow_null=True, allow_blank=True, default=None, validators=[validate_isbn13]
    )
    sku = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    is_active = serializers.BooleanField(default=True)


class LessonWriteSerializer(serializers.Serializer[Any]):
    position = serializers.IntegerField(min_value=1, max_value=32767)
    title = serializers.CharField(max_length=200)
    duration_seconds = serializers.IntegerField(min_value=0, default=0)
    media_ref = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    body = serializers.CharField(required=False, allow_blank=True, default="")
    is_free_preview = serializers.BooleanField(default=False)


class ChapterWriteSerializer(serializers.Serializer[Any]):
    number = serializers.IntegerField(min_value=1, max_value=32767)
    title = serializers.CharField(max_length=200)
    excerpt = serializers.CharField(required=False, allow_blank=True, default="")
    page_start = serializers.IntegerField(min_value=0, required=False, allow_null=True, default=None)
    page_end = serializers.IntegerField(min_value=0, required=False, allow_null=True, default=None)
    is_free_preview = serializers.BooleanField(default=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start, end = attrs.get("page_start"), attrs.get("page_end")
        if start is not None and end is not None and end < start:
            raise serializers.ValidationError({"page_end": [_("The last page comes before the first page.")]})
        return attrs


class RightsWriteSerializer(serializers.Serializer[Any]):
    territories = serializers.CharField(
        max_length=1000, default="WORLD", help_text=_("WORLD, or ISO 3166-1 codes separated by spaces: CN HK MO TW.")
    )
    excluded_territories = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")
    formats = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default="", help_text=_("Empty for all formats.")
    )
    valid_from = serializers.DateField(required=False, allow_null=True, default=None)
    valid_to = serializers.DateField(required=False, allow_null=True, default=None)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start, end = attrs.get("valid_from"), attrs.get("valid_to")
        if start and end and end < start:
            raise serializers.ValidationError({"valid_to": [_("The rights end before they start.")]})
        return attrs


class CreditWriteSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=160)
    role = serializers.ChoiceField(choices=ProductContributor.Role.choices)


class CourseWriteSerializer(serializers.Serializer[Any]):
    level = serializers.ChoiceField(choices=Course.Level.choices, required=False)
    what_you_learn = serializers.CharField(required=False, allow_blank=True)


class BookWriteSerializer(serializers.Serializer[Any]):
    page_count = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    edition = serializers.CharField(max_length=80, required=False, allow_blank=True)


class ProductWriteSerializer(serializers.Serializer[Any]):
    """A product and what it is made of. On change, a list that is sent replaces the
    current one (variants by format, lessons by position, chapters by number); a list
    that is left out stays as it is."""

    kind = serializers.ChoiceField(choices=Product.Kind.choices)
    title = serializers.CharField(max_length=255)
    subtitle = serializers.CharField(max_length=255, required=False, allow_blank=True)
    slug = serializers.SlugField(
        max_length=200, required=False, allow_blank=True, help_text=_("Made from the title when left out.")
    )
    description = serializers.CharField(required=False, allow_blank=True)
    language = serializers.CharField(max_length=8, required=False)
    cover_url = serializers.URLField(required=False, allow_blank=True)
    publisher_name = serializers.CharField(max_length=160, required=False, allow_blank=True)
    imprint = serializers.CharField(max_length=160, required=False, allow_blank=True)
    published_on = serializers.DateField(required=False, allow_null=True)
    record_reference = serializers.CharField(max_length=120, required=False, allow_null=True)
    topics = serializers.ListField(child=serializers.SlugField(max_length=64), required=False, max_length=20)
    contributors = CreditWriteSerializer(many=True, required=False)
    variants = VariantWriteSerializer(many=True, required=False)
    rights = RightsWriteSerializer(many=True, required=False)
    course = CourseWriteSerializer(required=False)
    lessons = LessonWriteSerializer(many=True, required=False, max_length=500)  # type: ignore[call-arg]
    book = BookWriteSerializer(required=False)
    chapters = ChapterWriteSerializer(many=True, required=False, max_length=500)  # type: ignore[call-arg]
    bundle_items = serializers.ListField(
        child=serializers.CharField(max_length=64),
        required=False,
        max_length=20,
        help_text=_("The SKUs of the variants in a bundle."),
    )

    def is_valid_or_raise(self) -> None:
        """Validate, reporting nested problems under flat paths (``variants[0].isbn13``), as the
        catalogue services do, so that one request's errors all read alike."""
        if not self.is_valid():
            raise serializers.ValidationError(flatten_errors(self.errors))

    def validate_kind(self, value: str) -> str:
        instance = self.instance
        if isinstance(instance, Product) and value != instance.kind:
            raise serializers.ValidationError(_("A product's kind cannot change; create a new product instead."))
        return value

    def service_arguments(self) -> dict[str, Any]:
        """The validated data as keyword arguments of ``product_create`` / ``product_update``."""
        data = dict(self.validated_data)
        scalar = {
            name: data.pop(name)
            for name in (
                "title",
                "subtitle",
                "slug",
                "description",
                "language",
                "cover_url",
                "publisher_name",
                "imprint",
                "published_on",
                "record_reference",
            )
            if name in data
        }
        if scalar.get("slug") == "":
            scalar.pop("slug")
        arguments: dict[str, Any] = {
            "fields": scalar,
            "details": {**data.pop("course", {}), **data.pop("book", {})},
        }
        if "variants" in data:
            arguments["variants"] = [VariantInput(**v) for v in data.pop("variants")]
        if "lessons" in data:
            arguments["lessons"] = [LessonInput(**v) for v in data.pop("lessons")]
        if "chapters" in data:
            arguments["chapters"] = [ChapterInput(**v) for v in data.pop("chapters")]
        if "rights" in data:
            arguments["rights"] = [RightsInput(**v) for v in data.pop("rights")]
        if "contributors" in data:
            arguments["credits"] = [CreditInput(**v) for v in data.pop("contributors")]
        if "topics" in data:
            arguments["topic_slugs"] = data.pop("topics")
        if "bundle_items" in data:
            arguments["bundle_item_skus"] = data.pop("bundle_items")
        return arguments
