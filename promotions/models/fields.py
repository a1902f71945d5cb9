"""Small field helpers shared by the promotion models."""

from __future__ import annotations

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class PercentField(models.DecimalField):
    """A percentage with two decimals, 0.00–100.00 (the range is held by each model's CheckConstraint)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("max_digits", 5)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]


def codes_field(verbose_name: object, help_text: object) -> models.CharField:
    """Space-separated codes (territories, formats); blank means "no restriction"."""
    return models.CharField(verbose_name, max_length=500, blank=True, help_text=help_text)  # type: ignore[arg-type]


def split_codes(value: str, *, upper: bool = False) -> frozenset[str]:
    parts = value.replace(",", " ").split()
    return frozenset(p.upper() if upper else p.lower() for p in parts)


class BilingualNameMixin(models.Model):
    """A Chinese name (required) and an English one (falls back to the Chinese)."""

    name = models.CharField(_("name (Chinese)"), max_length=160)
    name_en = models.CharField(_("name (English)"), max_length=160, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        if (get_language() or "").startswith("en") and self.name_en:
            return self.name_en
        return self.name


TERRITORIES_HELP = _("Space-separated ISO 3166-1 codes (e.g. CN HK); blank for everywhere.")
FORMATS_HELP = _("Space-separated formats (course ebook audiobook print bundle); blank for all.")
