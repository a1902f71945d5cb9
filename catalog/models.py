"""The catalogue: what a shopper sees (Product), what is sold (Variant), and
what each is made of (lessons, chapters, bundle items), with rights."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from catalog.isbn import validate_isbn13
from core.models import AppendOnlyModel
from core.money import CurrencyField, MoneyField
from users.models import Partner


class Topic(models.Model):
    """A subject, in a tree (e.g. 心理学 / Psychology › 积极心理学 / Positive psychology)."""

    slug = models.SlugField(_("slug"), max_length=64, unique=True)
    name = models.CharField(_("name (Chinese)"), max_length=80)
    name_en = models.CharField(_("name (English)"), max_length=80, blank=True)
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="children")
    position = models.PositiveSmallIntegerField(default=0)
    # Codes from subject schemes (BISAC, Thema) that map to this topic on import.
    scheme_codes = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("topic")
        verbose_name_plural = _("topics")
        ordering = ["position", "slug"]
        constraints = [
            models.CheckConstraint(condition=~Q(parent=F("pk")), name="topic_not_own_parent"),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        if (get_language() or "").startswith("en") and self.name_en:
            return self.name_en
        return self.name


class Contributor(models.Model):
    """A person who made a product: author, translator, narrator, instructor."""

    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    name = models.CharField(_("name"), max_length=160)
    sort_name = models.CharField(_("sort name"), max_length=160, blank=True, help_text=_("e.g. Sjöwall, Maj"))
    bio = models.TextField(_("biography"), blank=True)

    class Meta:
        verbose_name = _("contributor")
        verbose_name_plural = _("contributors")
        ordering = ["sort_name", "name"]
        # Imports find a contributor by name.
        indexes = [models.Index(fields=["name"], name="contributor_name_idx")]

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    """What a shopper sees and the recommender ranks: a course, a book, or a bundle of both."""

    class Kind(models.TextChoices):
        COURSE = "course", _("Course")
        BOOK = "book", _("Book")
        BUNDLE = "bundle", _("Bundle")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, db_index=True)
    owner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="products", verbose_name=_("owner"))
    title = models.CharField(_("title"), max_length=255)
    subtitle = models.CharField(_("subtitle"), max_length=255, blank=True)
    slug = models.SlugField(_("slug"), max_length=200, unique=True, allow_unicode=True)
    description = models.TextField(_("description"), blank=True, help_text=_("Sanitised HTML."))
    language = models.CharField(_("language"), max_length=8, default="zh", help_text=_("ISO 639-1, e.g. zh, en"))
    cover_image = models.ImageField(_("cover image"), upload_to="covers/%Y/%m/", blank=True)
    cover_url = models.URLField(_("cover URL"), blank=True, help_text=_("A cover supplied by the publisher's feed."))
    topics = models.ManyToManyField(Topic, related_name="products", blank=True, verbose_name=_("topics"))
    contributors: models.ManyToManyField[Contributor, ProductContributor] = models.ManyToManyField(
        Contributor, through="ProductContributor", related_name="products", blank=True
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True)
    publisher_name = models.CharField(_("publisher"), max_length=160, blank=True)
    imprint = models.CharField(_("imprint"), max_length=160, blank=True)
    published_on = models.DateField(_("publication date"), null=True, blank=True)
    # The partner's own identifier for the record (ONIX RecordReference, CSV "record_reference").
    record_reference = models.CharField(_("record reference"), max_length=120, null=True, blank=True)
    is_featured = models.BooleanField(_("featured"), default=False)
    # Kept by catalog.services.review_* so listings can sort by rating without aggregating.
    rating_average = models.DecimalField(max_digits=3, decimal_places=2, default=0)
    rating_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "record_reference"],
                condition=Q(record_reference__isnull=False),
                name="product_unique_record_reference_per_owner",
            ),
            models.CheckConstraint(
                condition=Q(rating_average__gte=0, rating_average__lte=5), name="product_rating_average_range"
            ),
        ]
        indexes = [models.Index(fields=["status", "kind", "-created_at"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        # The storefront serves every product at /products/<slug>/ (URL name "storefront:product").
        from django.urls import reverse

        return reverse("storefront:product", kwargs={"slug": self.slug})


class ProductStatusEvent(AppendOnlyModel):
    """One change of a product's status: who or what made it, from which status to which, and when.

    ``from_status`` is empty for the status a product was created with. Written
    by ``catalog.services.product_status_record`` for every status change."""

    class Source(models.TextChoices):
        ADMIN = "admin", _("Admin")
        API = "api", _("Partner API or portal")
        IMPORT = "import", _("Catalogue import")
        DEMO = "demo", _("Demo data")

    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="status_events", verbose_name=_("product")
    )
    from_status = models.CharField(_("from"), max_length=10, choices=Product.Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=10, choices=Product.Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    note = models.TextField(_("note"), blank=True)
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["at", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(from_status=F("to_status")), name="product_status_event_changes"),
        ]

    def __str__(self) -> str:
        return f"{self.from_status or '∅'} → {self.to_status}"


class ProductContributor(models.Model):
    class Role(models.TextChoices):
        AUTHOR = "author", _("Author")
        TRANSLATOR = "translator", _("Translator")
        NARRATOR = "narrator", _("Narrator")
        INSTRUCTOR = "instructor", _("Instructor")
        EDITOR = "editor", _("Editor")

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="credits")
    contributor = models.ForeignKey(Contributor, on_delete=models.PROTECT, related_name="credits")
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["product", "contributor", "role"], name="credit_unique_role"),
        ]

    def __str__(self) -> str:
        return f"{self.contributor} ({self.role})"


class Variant(models.Model):
    """The sellable SKU: one format of a product at one price."""

    class Format(models.TextChoices):
        COURSE = "course", _("Course")
        EBOOK = "ebook", _("Ebook")
        AUDIOBOOK = "audiobook", _("Audiobook")
        PRINT = "print", _("Print")
        BUNDLE = "bundle", _("Bundle")

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="variants")
    format = models.CharField(_("format"), max_length=10, choices=Format.choices)
    sku = models.CharField(_("SKU"), max_length=64, unique=True)
    isbn13 = models.CharField(
        _("ISBN-13"), max_length=13, null=True, blank=True, unique=True, validators=[validate_isbn13]
    )
    price = MoneyField(_("price"))
    currency = CurrencyField(_("currency"))
    # Every price the publisher's feed gave, for the record: [{"type", "amount", "currency", "territories"}].
    list_prices = models.JSONField(default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("variant")
        verbose_name_plural = _("variants")
        ordering = ["product_id", "price", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="variant_price_not_negative"),
            models.UniqueConstraint(fields=["product", "format"], name="variant_one_per_format"),
        ]

    def __str__(self) -> str:
        return f"{self.product.title} · {self.get_format_display()}"


class Course(models.Model):
    class Level(models.TextChoices):
        BEGINNER = "beginner", _("Beginner")
        INTERMEDIATE = "intermediate", _("Intermediate")
        ADVANCED = "advanced", _("Advanced")

    product = models.OneToOneField(Product, on_delete=models.CASCADE, related_name="course", primary_key=True)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices, default=Level.BEGINNER)
    what_you_learn = models.TextField(_("what you will learn"), blank=True)

    class Meta:
        verbose_name = _("course")
        verbose_name_plural = _("courses")

    def __str__(self) -> str:
        return str(self.product)


class Lesson(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="lessons")
    position = models.PositiveSmallIntegerField(_("position"))
    title = models.CharField(_("title"), max_length=200)
    duration_seconds = models.PositiveIntegerField(_("duration (seconds)"), default=0)
    media_ref = models.CharField(_("media reference"), max_length=255, blank=True)
    body = models.TextField(_("notes"), blank=True, help_text=_("Lesson notes or transcript shown beside the media."))
    is_free_preview = models.BooleanField(_("free preview"), default=False)

    class Meta:
        verbose_name = _("lesson")
        verbose_name_plural = _("lessons")
        ordering = ["course_id", "position"]
        constraints = [models.UniqueConstraint(fields=["course", "position"], name="lesson_unique_position")]

    def __str__(self) -> str:
        return f"{self.position}. {self.title}"


class Book(models.Model):
    product = models.OneToOneField(Product, on_delete=models.CASCADE, related_name="book", primary_key=True)
    page_count = models.PositiveIntegerField(_("pages"), null=True, blank=True)
    edition = models.CharField(_("edition"), max_length=80, blank=True)

    class Meta:
        verbose_name = _("book")
        verbose_name_plural = _("books")

    def __str__(self) -> str:
        return str(self.product)


class Chapter(models.Model):
    book = models.ForeignKey(Book, on_delete=models.CASCADE, related_name="chapters")
    number = models.PositiveSmallIntegerField(_("number"))
    title = models.CharField(_("title"), max_length=200)
    excerpt = models.TextField(_("text"), blank=True)
    page_start = models.PositiveIntegerField(_("first page"), null=True, blank=True)
    page_end = models.PositiveIntegerField(_("last page"), null=True, blank=True)
    is_free_preview = models.BooleanField(_("free preview"), default=False)

    class Meta:
        verbose_name = _("chapter")
        verbose_name_plural = _("chapters")
        ordering = ["book_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["book", "number"], name="chapter_unique_number"),
            models.CheckConstraint(
                condition=Q(page_start__isnull=True) | Q(page_end__isnull=True) | Q(page_end__gte=F("page_start")),
                name="chapter_page_range_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.title}"


class LessonSupplement(models.Model):
    """A book chapter offered as supplementary reading for a course lesson."""

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="supplements")
    chapter = models.ForeignKey(Chapter, on_delete=models.CASCADE, related_name="supplements_for")
    note = models.CharField(_("why read it"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("lesson supplement")
        verbose_name_plural = _("lesson supplements")
        constraints = [models.UniqueConstraint(fields=["lesson", "chapter"], name="supplement_unique_pair")]

    def __str__(self) -> str:
        return f"{self.lesson} ← {self.chapter}"


class BundleItem(models.Model):
    """One variant inside a bundle product."""

    bundle = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="bundle_items", limit_choices_to={"kind": "bundle"}
    )
    variant = models.ForeignKey(Variant, on_delete=models.PROTECT, related_name="in_bundles")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("bundle item")
        verbose_name_plural = _("bundle items")
        ordering = ["bundle_id", "position", "pk"]
        constraints = [models.UniqueConstraint(fields=["bundle", "variant"], name="bundle_item_unique_variant")]

    def __str__(self) -> str:
        return f"{self.bundle} ∋ {self.variant}"


class Rights(models.Model):
    """Where and when a product may be sold, in which formats.

    ``territories`` is ``WORLD`` or space-separated ISO 3166-1 alpha-2 codes
    (as in ONIX); ``excluded_territories`` removes codes from it. ``formats``
    is empty for all formats or space-separated ``Variant.Format`` values.
    """

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="rights")
    territories = models.CharField(_("territories"), max_length=1000, default="WORLD")
    excluded_territories = models.CharField(_("excluded territories"), max_length=1000, blank=True)
    formats = models.CharField(_("formats"), max_length=100, blank=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    class Meta:
        verbose_name = _("rights")
        verbose_name_plural = _("rights")
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True) | Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                name="rights_period_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product}: {self.territories} {self.valid_from or ''}–{self.valid_to or ''}"


class Review(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviews")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="reviews")
    rating = models.PositiveSmallIntegerField(_("rating"), validators=[MinValueValidator(1), MaxValueValidator(5)])
    title = models.CharField(_("title"), max_length=120, blank=True)
    body = models.TextField(_("review"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "product"], name="review_one_per_user_product"),
            models.CheckConstraint(condition=Q(rating__gte=1, rating__lte=5), name="review_rating_1_to_5"),
        ]

    def __str__(self) -> str:
        return f"{self.product} ★{self.rating} by {self.user}"


class ImportJob(models.Model):
    """One catalogue delivery (an ONIX 3.0 or CSV file) from a partner, and what became of it.

    A delivery is one transaction: either every valid record is saved or none
    is. ``valid_only`` asks for the valid records to be saved even when others
    are not. Status moves only along :attr:`TRANSITIONS`, through
    ``catalog.ingest.services.import_job_transition``, which appends an
    :class:`ImportJobEvent` for every move.
    """

    class Format(models.TextChoices):
        ONIX = "onix", _("ONIX 3.0")
        CSV = "csv", _("CSV")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Imported")
        REJECTED = "rejected", _("Rejected")
        FAILED = "failed", _("Failed")

    class Source(models.TextChoices):
        PORTAL = "portal", _("Partner portal")
        API = "api", _("API")
        ADMIN = "admin", _("Admin")
        COMMAND = "command", _("Command line")

    TRANSITIONS: dict[str, frozenset[str]] = {
        Status.QUEUED: frozenset({Status.RUNNING, Status.FAILED}),
        Status.RUNNING: frozenset({Status.SUCCEEDED, Status.REJECTED, Status.FAILED}),
        # A job that failed (the worker died, the file could not be read) may be tried again.
        Status.FAILED: frozenset({Status.QUEUED}),
        Status.SUCCEEDED: frozenset(),
        Status.REJECTED: frozenset(),
    }
    FINISHED = (Status.SUCCEEDED, Status.REJECTED, Status.FAILED)

    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, related_name="catalog_imports", verbose_name=_("partner")
    )
    format = models.CharField(_("format"), max_length=8, choices=Format.choices)
    file = models.FileField(_("file"), upload_to="catalog-imports/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    # SHA-256 of the file: the same delivery sent twice is answered with the first job.
    checksum = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    valid_only = models.BooleanField(_("import the valid records"), default=False)
    # The uploader's language: the error report is written in it.
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    api_key = models.ForeignKey(
        "users.PartnerApiKey", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    record_count = models.PositiveIntegerField(_("records"), default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    unchanged_count = models.PositiveIntegerField(_("unchanged"), default=0)
    withdrawn_count = models.PositiveIntegerField(_("withdrawn"), default=0)
    skipped_count = models.PositiveIntegerField(_("skipped"), default=0)
    invalid_count = models.PositiveIntegerField(_("invalid"), default=0)
    # What was wrong with the file as a whole (not XML, an entity bomb, a missing column).
    message = models.TextField(_("message"), blank=True)
    # The first problems, for pages and the API; the full list is ``error_report``.
    errors = models.JSONField(_("errors"), default=list, blank=True)
    error_report = models.FileField(_("error report"), upload_to="catalog-imports/errors/%Y/%m/", blank=True)
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("catalogue import")
        verbose_name_plural = _("catalogue imports")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # One file may not be imported twice at the same time.
            models.UniqueConstraint(
                fields=["partner", "checksum", "valid_only"],
                condition=Q(status__in=["queued", "running"]),
                name="import_job_one_active_per_file",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["queued", "running", "succeeded", "rejected", "failed"]),
                name="import_job_status_known",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["succeeded", "rejected", "failed"], finished_at__isnull=False)
                | Q(status__in=["queued", "running"], finished_at__isnull=True),
                name="import_job_finished_iff_final",
            ),
            models.CheckConstraint(condition=Q(format__in=["onix", "csv"]), name="import_job_format_known"),
        ]
        indexes = [models.Index(fields=["partner", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.partner} · {self.original_name} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED


class ImportJobEvent(models.Model):
    """An append-only row for every status change of an import job."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10)
    note = models.TextField(blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("import event")
        verbose_name_plural = _("import events")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_status or '∅'} → {self.to_status}"


class ImportedRecord(models.Model):
    """Which variant a partner's feed record (ONIX RecordReference, CSV record_reference) became.

    Re-importing a record finds its variant here, so a delivery sent twice
    changes nothing; a delete notification finds what to withdraw."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="imported_records")
    record_reference = models.CharField(_("record reference"), max_length=120)
    variant = models.OneToOneField(Variant, on_delete=models.CASCADE, related_name="imported_record")
    # Records of one work (ONIX RelatedWork, CSV work_reference) are variants of one product.
    work_reference = models.CharField(_("work reference"), max_length=120, blank=True)
    # Set when a delete notification withdrew the variant; a later upsert brings it back.
    is_withdrawn = models.BooleanField(default=False)
    last_job = models.ForeignKey(ImportJob, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("imported record")
        verbose_name_plural = _("imported records")
        constraints = [
            models.UniqueConstraint(fields=["partner", "record_reference"], name="imported_record_unique_reference"),
        ]
        indexes = [models.Index(fields=["partner", "work_reference"])]

    def __str__(self) -> str:
        return f"{self.partner} · {self.record_reference}"
