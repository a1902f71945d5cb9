"""Accounts, their profiles, partner organisations, their members, consent and API keys."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **extra: Any) -> User:
        if not email:
            raise ValueError("an email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self._create(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person: shopper, platform staff or partner staff. Logs in with email."""

    email = models.EmailField(_("email address"), unique=True)
    display_name = models.CharField(_("display name"), max_length=80, blank=True)
    preferred_language = models.CharField(
        _("preferred language"), max_length=10, choices=settings.LANGUAGES, default="zh-hans"
    )
    is_staff = models.BooleanField(_("staff status"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            # Emails are stored lower-cased; the database holds the rule too.
            models.CheckConstraint(condition=Q(email=Lower("email")), name="user_email_lowercase"),
        ]

    def __str__(self) -> str:
        return self.display_name or self.email

    def get_full_name(self) -> str:
        return self.display_name or self.email

    def get_short_name(self) -> str:
        return self.display_name or self.email.split("@")[0]


class Profile(models.Model):
    """What a user declares about themselves; insights adds what they do."""

    class Gender(models.TextChoices):
        UNSPECIFIED = "", _("Prefer not to say")
        FEMALE = "female", _("Female")
        MALE = "male", _("Male")
        OTHER = "other", _("Other")

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="profile")
    birth_year = models.PositiveSmallIntegerField(_("birth year"), null=True, blank=True)
    gender = models.CharField(_("gender"), max_length=10, choices=Gender.choices, blank=True, default="")
    region = models.CharField(
        _("region"), max_length=64, blank=True, help_text=_("Province or city, e.g. 浙江 / Zhejiang")
    )
    occupation = models.CharField(_("occupation"), max_length=64, blank=True)
    declared_interests = models.JSONField(
        _("interests"), default=list, blank=True, help_text=_("Topics the user says they care about (topic slugs).")
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")
        constraints = [
            models.CheckConstraint(
                condition=Q(birth_year__isnull=True) | Q(birth_year__gte=1900, birth_year__lte=2100),
                name="profile_birth_year_plausible",
            ),
        ]

    def __str__(self) -> str:
        return f"profile of {self.user}"


class Partner(models.Model):
    """An organisation the platform works with, or the platform itself."""

    class Kind(models.TextChoices):
        PLATFORM = "platform", _("Platform")
        PUBLISHER = "publisher", _("Publisher")
        TRAINING_INSTITUTION = "training_institution", _("Training institution")
        ADVERTISER = "advertiser", _("Advertiser")
        DEVICE_MAKER = "device_maker", _("Device maker")
        ENTERPRISE = "enterprise", _("Enterprise customer")

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=64, unique=True)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    is_active = models.BooleanField(_("active"), default=True)
    website = models.URLField(_("website"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    members: models.ManyToManyField[User, Membership] = models.ManyToManyField(
        User, through="Membership", related_name="partners"
    )

    class Meta:
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        ordering = ["name"]
        constraints = [
            # There is exactly one platform: the counterparty of every contract.
            models.UniqueConstraint(fields=["kind"], condition=Q(kind="platform"), name="partner_single_platform"),
        ]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A user's role in a partner organisation."""

    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        MANAGER = "manager", _("Manager")
        ANALYST = "analyst", _("Analyst")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [models.UniqueConstraint(fields=["user", "partner"], name="membership_unique_user_partner")]

    def __str__(self) -> str:
        return f"{self.user} · {self.partner} ({self.role})"


class ConsentQuerySet(models.QuerySet["Consent"]):
    """Consent history is append-only: rows are never deleted, and the only
    change a row ever receives is being revoked (``revoked_at`` set once)."""

    def delete(self) -> tuple[int, dict[str, int]]:
        raise ConsentHistoryIsAppendOnly("consent records are never deleted; revoke them instead")

    def update(self, **kwargs: Any) -> int:
        if set(kwargs) - {"revoked_at"}:
            raise ConsentHistoryIsAppendOnly("only revoked_at may change on a consent record")
        # A row already revoked keeps its original revocation time.
        return models.QuerySet.update(self.filter(revoked_at__isnull=True), **kwargs)


class ConsentHistoryIsAppendOnly(Exception):
    pass


class Consent(models.Model):
    """The separate consent (单独同意) a user gives to share data with one partner.

    A grant is a new row; a revocation stamps ``revoked_at`` on the active
    row. At most one row per (user, partner, purpose) is active.
    """

    class Purpose(models.TextChoices):
        AUDIENCE_INSIGHTS = "audience_insights", _("Audience insights shared with the partner")
        MARKETING = "marketing", _("Marketing messages from the partner")
        AD_AUDIENCE = "ad_audience", _("Inclusion in the partner's advertising audiences")
        PERSONAL_DATA_TRANSFER = "personal_data_transfer", _("Transfer of pseudonymised data to the partner")

    class DataCategory(models.TextChoices):
        DEMOGRAPHICS = "demographics", _("Age band, gender, region, occupation")
        INTERESTS = "interests", _("Declared and inferred interests")
        PURCHASES = "purchases", _("Purchases and library")
        BEHAVIOUR = "behaviour", _("Browsing, listening and reading behaviour")
        CONTACT = "contact", _("Contact details")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="consents")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="consents")
    purpose = models.CharField(_("purpose"), max_length=32, choices=Purpose.choices)
    data_categories = models.JSONField(_("data categories"), default=list)
    notice_version = models.CharField(_("privacy notice version"), max_length=32)
    granted_at = models.DateTimeField(_("granted at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=32, default="web", help_text=_("Where the consent was given."))

    objects = ConsentQuerySet.as_manager()

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["-granted_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "partner", "purpose"],
                condition=Q(revoked_at__isnull=True),
                name="consent_one_active_per_purpose",
            ),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True) | Q(revoked_at__gte=models.F("granted_at")),
                name="consent_revoked_after_granted",
            ),
        ]
        indexes = [models.Index(fields=["partner", "purpose", "revoked_at"])]

    def __str__(self) -> str:
        return f"{self.user} → {self.partner}: {self.purpose}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            stored = (
                Consent.objects.filter(pk=self.pk)
                .values(
                    "user_id",
                    "partner_id",
                    "purpose",
                    "data_categories",
                    "notice_version",
                    "granted_at",
                    "expires_at",
                    "revoked_at",
                    "source",
                )
                .first()
            )
            if stored is not None:
                changed = {k for k, v in stored.items() if getattr(self, k) != v}
                if changed - {"revoked_at"} or stored["revoked_at"] is not None:
                    raise ConsentHistoryIsAppendOnly("a consent record can only be revoked, once")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ConsentHistoryIsAppendOnly("consent records are never deleted; revoke them instead")

    @property
    def is_active(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class PartnerApiKey(models.Model):
    """A credential for a partner's systems. The key itself is shown once and
    stored only as a SHA-256 digest (keys are 256-bit random, so a fast hash
    is the right one); ``prefix`` finds the row without scanning."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(_("name"), max_length=80)
    prefix = models.CharField(max_length=12, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    scopes = models.JSONField(_("scopes"), default=list)
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("partner API key")
        verbose_name_plural = _("partner API keys")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.partner} · {self.name} ({self.prefix}…)"

    @property
    def is_usable(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now) and self.partner.is_active
