from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from catalog.models import Product, Review, Variant
from storefront.selectors import SearchFilters

SORT_CHOICES = [
    ("", _("Best match")),
    ("newest", _("Newest")),
    ("popular", _("Most reviewed")),
    ("rating", _("Highest rated")),
    ("price_asc", _("Price: low to high")),
    ("price_desc", _("Price: high to low")),
]
RATING_CHOICES = [("", _("Any rating")), ("4", _("4 stars and up")), ("3", _("3 stars and up"))]
LANGUAGE_NAMES = {
    "zh": pgettext_lazy("language", "Chinese"),
    "en": pgettext_lazy("language", "English"),
    "ja": pgettext_lazy("language", "Japanese"),
    "fr": pgettext_lazy("language", "French"),
    "de": pgettext_lazy("language", "German"),
}


class SearchForm(forms.Form):
    """The search box and its filters; a bad filter is reported and ignored, never a server error."""

    q = forms.CharField(label=_("Search"), max_length=200, required=False)
    kind = forms.ChoiceField(label=_("Type"), required=False, choices=[("", _("All types")), *Product.Kind.choices])
    format = forms.ChoiceField(
        label=_("Format"), required=False, choices=[("", _("All formats")), *Variant.Format.choices]
    )
    topic = forms.SlugField(label=_("Topic"), required=False, allow_unicode=True)
    price_min = forms.DecimalField(
        label=_("Lowest price"), required=False, min_value=Decimal(0), max_digits=12, decimal_places=2
    )
    price_max = forms.DecimalField(
        label=_("Highest price"), required=False, min_value=Decimal(0), max_digits=12, decimal_places=2
    )
    language = forms.CharField(label=_("Language"), required=False, max_length=8)
    rating = forms.ChoiceField(label=_("Rating"), required=False, choices=RATING_CHOICES)
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=SORT_CHOICES)

    def __init__(self, *args: Any, languages: list[str] | None = None, topics: list[Any] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if languages is not None:
            self.fields["language"] = forms.ChoiceField(
                label=_("Language"),
                required=False,
                choices=[("", _("All languages")), *[(code, LANGUAGE_NAMES.get(code, code)) for code in languages]],
            )
        if topics is not None:
            choices: list[tuple[str, Any]] = [("", _("All topics"))]
            for root in topics:
                choices.append((root.slug, root.display_name))
                choices.extend((child.slug, f"— {child.display_name}") for child in getattr(root, "tree_children", []))
            self.fields["topic"] = forms.ChoiceField(label=_("Topic"), required=False, choices=choices)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        low, high = data.get("price_min"), data.get("price_max")
        if low is not None and high is not None and low > high:
            self.add_error("price_max", _("The highest price must not be below the lowest price."))
        return data

    def filters(self) -> SearchFilters:
        """The valid filters; an invalid one is left out (its error is shown beside it)."""
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        valid = {name: value for name, value in data.items() if name not in self.errors}
        rating = valid.get("rating")
        return SearchFilters(
            q=" ".join((valid.get("q") or "").split()),
            kind=valid.get("kind") or "",
            format=valid.get("format") or "",
            topic=valid.get("topic") or "",
            price_min=valid.get("price_min"),
            price_max=valid.get("price_max"),
            language=valid.get("language") or "",
            rating_min=Decimal(rating) if rating else None,
            sort=valid.get("sort") or "",
        )


class ReviewForm(forms.ModelForm[Review]):
    rating = forms.TypedChoiceField(
        label=_("Your rating"),
        coerce=int,
        choices=[(5, "★★★★★"), (4, "★★★★☆"), (3, "★★★☆☆"), (2, "★★☆☆☆"), (1, "★☆☆☆☆")],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose from one to five stars.")},
    )

    class Meta:
        model = Review
        fields = ["rating", "title", "body"]
        labels = {"title": _("Headline"), "body": _("Your review")}
        widgets = {"body": forms.Textarea(attrs={"rows": 6})}
