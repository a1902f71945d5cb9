"""Account pages: register, profile, consents, and the partner portal's home."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import DomainError
from users import portal, selectors, services
from users.forms import ProfileForm, RegistrationForm
from users.models import Consent, Membership, Partner, PartnerApiKey, Profile, User
from users.scopes import scope_choices

CURRENT_NOTICE_VERSION = "2026-10"


def register(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("storefront:home")
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_register(
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
                display_name=form.cleaned_data["display_name"],
                preferred_language=request.LANGUAGE_CODE or "zh-hans",
            )
        except DomainError as exc:
            form.add_error("email", exc.message)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome to Zhiqiao! Your account is ready."))
            return redirect(request.GET.get("next") or "storefront:home")
    return render(request, "users/register.html", {"form": form})


@login_required
def profile_edit(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    profile, _created = Profile.objects.get_or_create(user=user)
    initial = {
        "display_name": user.display_name,
        "preferred_language": user.preferred_language,
        "declared_interests": ", ".join(profile.declared_interests),
    }
    form = ProfileForm(request.POST or None, instance=profile, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.profile_update(
            user=user,
            birth_year=form.cleaned_data["birth_year"],
            gender=form.cleaned_data["gender"],
            region=form.cleaned_data["region"],
            occupation=form.cleaned_data["occupation"],
            declared_interests=form.cleaned_data["declared_interests"],
        )
        user.display_name = form.cleaned_data["display_name"]
        user.preferred_language = form.cleaned_data["preferred_language"]
        user.save(update_fields=["display_name", "preferred_language"])
        messages.success(request, _("Your profile has been saved."))
        return redirect("users:profile")
    return render(request, "users/profile.html", {"form": form})


@login_required
def consent_list(request: HttpRequest) -> HttpResponse:
    """Per partner: what is shared, for which purpose, which data; consents given under an
    older privacy notice are flagged so the user can agree again (or withdraw)."""
    user = request.user
    assert isinstance(user, User)
    history = list(selectors.consent_history(user=user))
    category_labels = dict(Consent.DataCategory.choices)
    active = [c for c in history if c.is_active]
    by_partner: dict[int, dict[str, object]] = {}
    for consent in active:
        consent.category_labels = [category_labels.get(c, c) for c in consent.data_categories]  # type: ignore[attr-defined]
        consent.notice_changed = consent.notice_version != CURRENT_NOTICE_VERSION  # type: ignore[attr-defined]
        entry = by_partner.setdefault(consent.partner_id, {"partner": consent.partner, "consents": []})
        entry["consents"].append(consent)  # type: ignore[attr-defined]
    partners = Partner.objects.filter(is_active=True).exclude(kind=Partner.Kind.PLATFORM)
    return render(
        request,
        "users/consents.html",
        {
            "history": history,
            "active": active,
            "by_partner": list(by_partner.values()),
            "renewals": [c for c in active if c.notice_changed],  # type: ignore[attr-defined]
            "partners": partners,
            "purposes": Consent.Purpose.choices,
            "categories": Consent.DataCategory.choices,
            "notice_version": CURRENT_NOTICE_VERSION,
        },
    )


@login_required
@require_POST
def consent_grant(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    partner = get_object_or_404(Partner, slug=request.POST.get("partner", ""), is_active=True)
    try:
        services.consent_grant(
            user=user,
            partner=partner,
            purpose=request.POST.get("purpose", ""),
            data_categories=request.POST.getlist("data_categories"),
            notice_version=CURRENT_NOTICE_VERSION,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("You agreed to share data with %(p)s.") % {"p": partner.name})
    return redirect("users:consents")


@login_required
@require_POST
def consent_revoke(request: HttpRequest, consent_id: int) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    consent = get_object_or_404(Consent, pk=consent_id, user=user)
    services.consent_revoke(user=user, partner=consent.partner, purpose=consent.purpose)
    messages.success(
        request, _("Consent withdrawn. %(p)s will no longer receive this data.") % {"p": consent.partner.name}
    )
    return redirect("users:consents")


def _portal_partner(request: HttpRequest, slug: str) -> tuple[Partner, str]:
    partner = get_object_or_404(Partner, slug=slug)
    user = request.user
    assert isinstance(user, User)
    role = selectors.membership_role(user=user, partner=partner)
    if role is None and not user.is_staff:
        raise Http404
    return partner, role or "staff"


@login_required
def portal_index(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    partners = list(selectors.partner_list_for_user(user=user).exclude(kind=Partner.Kind.PLATFORM))
    if len(partners) == 1:
        return redirect("users:portal-partner", slug=partners[0].slug)
    return render(request, "users/portal_index.html", {"partners": partners})


@login_required
def portal_partner(request: HttpRequest, slug: str) -> HttpResponse:
    partner, role = _portal_partner(request, slug)
    can_manage = role in (Membership.Role.OWNER, Membership.Role.MANAGER, "staff")
    return render(
        request,
        "users/portal_partner.html",
        {
            "partner": partner,
            "role": role,
            "can_manage": can_manage,
            "members": partner.memberships.select_related("user").order_by("role", "user__email"),
            "keys": selectors.api_key_list(partner=partner) if can_manage else [],
            "scopes": scope_choices(),
            "sections": portal.sections_for(partner=partner),
            "new_key": request.session.pop("new_api_key", None),
        },
    )


@login_required
@require_POST
def portal_key_create(request: HttpRequest, slug: str) -> HttpResponse:
    partner, _role = _portal_partner(request, slug)
    user = request.user
    assert isinstance(user, User)
    try:
        _key, raw = services.api_key_create(
            partner=partner,
            name=request.POST.get("name", "").strip() or _("API key"),
            scopes=request.POST.getlist("scopes"),
            created_by=user,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        request.session["new_api_key"] = raw
    return redirect("users:portal-partner", slug=slug)


@login_required
@require_POST
def portal_key_revoke(request: HttpRequest, slug: str, key_id: int) -> HttpResponse:
    partner, _role = _portal_partner(request, slug)
    key = get_object_or_404(PartnerApiKey, pk=key_id, partner=partner)
    user = request.user
    assert isinstance(user, User)
    try:
        services.api_key_revoke(key=key, by=user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The key %(p)s… has been revoked.") % {"p": key.prefix})
    return redirect("users:portal-partner", slug=slug)
