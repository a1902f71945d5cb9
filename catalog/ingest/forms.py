"""Upload forms for catalogue imports (partner portal and admin)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from catalog.models import ImportJob
from users.models import Partner


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Catalogue file"),
        help_text=_("ONIX 3.0 (.xml, reference or short tags) or CSV in the template's columns."),
    )
    format = forms.ChoiceField(
        label=_("Format"),
        choices=[("", _("Tell from the file")), *ImportJob.Format.choices],
        required=False,
    )
    valid_only = forms.BooleanField(
        label=_("Import the valid records"),
        required=False,
        help_text=_(
            "If some records have errors, import the others and list the errors. "
            "Unticked, nothing is imported until every record is right."
        ),
    )


class AdminImportForm(ImportUploadForm):
    partner = forms.ModelChoiceField(label=_("Partner"), queryset=Partner.objects.filter(is_active=True))
    again = forms.BooleanField(
        label=_("Import again"),
        required=False,
        help_text=_("Import even if this partner's last import was the same file."),
    )
    field_order = ["partner", "file", "format", "valid_only", "again"]
