from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.password_validation import validate_password
from django.utils.translation import gettext_lazy as _

from users.login_throttle import (
    LoginThrottled,
    client_address,
    login_failure_record,
    login_success_clear,
    login_throttle_check,
)
from users.models import Consent, Profile, User


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("Email"), widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )

    def clean_username(self) -> str:
        return str(self.cleaned_data["username"]).lower()

    def clean(self) -> dict[str, Any]:
        """Refuses at once when the account or the address has failed too often
        (:mod:`users.login_throttle`); otherwise counts a failure or clears the account's count."""
        email = str(self.cleaned_data.get("username") or "")
        address = client_address(self.request)
        if email:
            try:
                login_throttle_check(email=email, address=address)
            except LoginThrottled as exc:
                raise forms.ValidationError(exc.message, code=exc.code) from exc
        try:
            data = super().clean()
        except forms.ValidationError:
            if email:
                login_failure_record(email=email, address=address)
            raise
        login_success_clear(email=email)
        return data


class RegistrationForm(forms.Form):
    email = forms.EmailField(label=_("Email"), widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    display_name = forms.CharField(label=_("Display name"), max_length=80, required=False)
    password = forms.CharField(
        label=_("Password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password_again = forms.CharField(
        label=_("Password again"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean_email(self) -> str:
        email = str(self.cleaned_data["email"]).lower()
        if User.objects.filter(email=email).exists():
            raise forms.ValidationError(_("An account with this email already exists. Log in or reset your password."))
        return email

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        password, again = data.get("password"), data.get("password_again")
        if password and again and password != again:
            self.add_error("password_again", _("The two passwords differ."))
        elif password:
            try:
                validate_password(
                    password, user=User(email=data.get("email", ""), display_name=data.get("display_name", ""))
                )
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return data


class ProfileForm(forms.ModelForm[Profile]):
    display_name = forms.CharField(label=_("Display name"), max_length=80, required=False)
    preferred_language = forms.ChoiceField(label=_("Language"), choices=[("zh-hans", "简体中文"), ("en", "English")])
    declared_interests = forms.CharField(
        label=_("Interests"),
        required=False,
        help_text=_("Topics you care about, separated by commas."),
    )

    class Meta:
        model = Profile
        fields = ["birth_year", "gender", "region", "occupation"]

    def clean_declared_interests(self) -> list[str]:
        raw = str(self.cleaned_data.get("declared_interests") or "")
        parts = [p.strip() for p in raw.replace("，", ",").split(",")]
        return [p for p in parts if p][:50]


class ConsentGrantForm(forms.Form):
    purpose = forms.ChoiceField(label=_("Purpose"), choices=Consent.Purpose.choices)
    data_categories = forms.MultipleChoiceField(
        label=_("Data categories"), choices=Consent.DataCategory.choices, widget=forms.CheckboxSelectMultiple
    )
