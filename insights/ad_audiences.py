"""Advertising audiences: a partner's segment, exported as hashed email addresses.

A segment combines criteria — topics of interest, purchases of the partner's
products, regions, age bands — with AND between kinds and OR within one kind.
Only users who hold an active ``ad_audience`` consent for this partner are
ever considered, and their consent must cover ``contact`` (the hashed email is
derived from it) and every category the segment reads (``interests`` for
topics, ``purchases`` for purchases, ``demographics`` for region and age).

The export is SHA-256 of the normalised email (trimmed, lower-case), hex, one
per line: the form advertising platforms match on. An audience smaller than the
partner's ``ad_audience_min_size`` is never exported. Every export, and every
refusal, is audited; exported users get a ``DataDisclosure``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core.errors import DomainError
from insights.audiences import partner_privacy_get
from insights.audit import Actor, audit_record, disclosures_record
from insights.privacy_errors import AudienceTooSmall, NotFoundForPartner
from insights.privacy_models import AdAudience, AgeBand, AuditEntry, UserInsightProfile
from insights.profiles import PAID_STATUSES
from users.models import Consent, Partner, Profile, User
from users.selectors import consent_active_q

C = Consent.DataCategory
CRITERIA_KEYS = ("topics", "purchased_products", "purchased_from_partner", "regions", "age_bands")
MAX_VALUES = 50


def email_hash(email: str) -> str:
    """SHA-256 of the normalised address, as ad platforms expect it."""
    return hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Criteria:
    topics: tuple[str, ...] = ()
    purchased_products: tuple[str, ...] = ()
    purchased_from_partner: bool = False
    regions: tuple[str, ...] = ()
    age_bands: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "topics": list(self.topics),
            "purchased_products": list(self.purchased_products),
            "purchased_from_partner": self.purchased_from_partner,
            "regions": list(self.regions),
            "age_bands": list(self.age_bands),
        }

    @property
    def required_categories(self) -> list[str]:
        needed = {C.CONTACT}
        if self.topics:
            needed.add(C.INTERESTS)
        if self.purchased_products or self.purchased_from_partner:
            needed.add(C.PURCHASES)
        if self.regions or self.age_bands:
            needed.add(C.DEMOGRAPHICS)
        return sorted(needed)


def criteria_build(*, partner: Partner, data: dict[str, Any]) -> Criteria:
    """Checked criteria; products must be the partner's own. Raises ``DomainError`` saying what is wrong."""
    from catalog.models import Product, Topic

    unknown = set(data) - set(CRITERIA_KEYS)
    if unknown:
        raise DomainError(_("Unknown criteria: %(k)s.") % {"k": ", ".join(sorted(unknown))})

    def values(key: str) -> tuple[str, ...]:
        raw = data.get(key) or []
        if isinstance(raw, str):
            raw = [raw]
        if not isinstance(raw, list | tuple) or any(not isinstance(v, str) for v in raw):
            raise DomainError(_("“%(k)s” must be a list of texts.") % {"k": key})
        cleaned = tuple(sorted({v.strip() for v in raw if v.strip()}))
        if len(cleaned) > MAX_VALUES:
            raise DomainError(_("“%(k)s” can hold at most %(n)d values.") % {"k": key, "n": MAX_VALUES})
        return cleaned

    topics = values("topics")
    missing_topics = set(topics) - set(Topic.objects.filter(slug__in=topics).values_list("slug", flat=True))
    if missing_topics:
        raise DomainError(_("No such topics: %(t)s.") % {"t": ", ".join(sorted(missing_topics))})
    products = values("purchased_products")
    owned = set(Product.objects.filter(owner=partner, slug__in=products).values_list("slug", flat=True))
    if set(products) - owned:
        raise NotFoundForPartner(_("You have no products: %(p)s.") % {"p": ", ".join(sorted(set(products) - owned))})
    age_bands = values("age_bands")
    if set(age_bands) - set(AgeBand.values):
        raise DomainError(_("Age bands are: %(a)s.") % {"a": ", ".join(AgeBand.values)})
    criteria = Criteria(
        topics=topics,
        purchased_products=products,
        purchased_from_partner=bool(data.get("purchased_from_partner")),
        regions=values("regions"),
        age_bands=age_bands,
    )
    if criteria == Criteria():
        raise DomainError(_("Choose at least one criterion: a topic, a purchase, a region or an age band."))
    return criteria


def ad_audience_save(*, partner: Partner, name: str, criteria: Criteria, user: User | None) -> AdAudience:
    name = name.strip()
    if not name:
        raise DomainError(_("Give the audience a name."))
    try:
        with transaction.atomic():
            audience, _created = AdAudience.objects.update_or_create(
                partner=partner, name=name[:120], defaults={"criteria": criteria.as_dict(), "created_by": user}
            )
    except IntegrityError as exc:
        raise DomainError(_("An audience with this name exists already.")) from exc
    return audience


def ad_audience_get(*, partner: Partner, audience_id: int) -> AdAudience:
    audience = AdAudience.objects.filter(partner=partner, pk=audience_id).first()
    if audience is None:
        raise NotFoundForPartner(_("No such audience."))
    return audience


def ad_audience_members(*, partner: Partner, criteria: Criteria) -> list[int]:
    """Ids of the users who match ``criteria`` and whose ad-audience consent covers what it reads, now."""
    from commerce.models import OrderLine

    needed = set(criteria.required_categories)
    consenting = {
        uid
        for uid, cats in Consent.objects.filter(
            consent_active_q(), partner=partner, purpose=Consent.Purpose.AD_AUDIENCE, user__is_active=True
        ).values_list("user_id", "data_categories")
        if needed <= set(cats or [])
    }
    if not consenting:
        return []
    members = consenting
    if criteria.regions:
        members &= set(
            Profile.objects.filter(user_id__in=members, region__in=criteria.regions).values_list("user_id", flat=True)
        )
    if criteria.age_bands:
        members &= set(
            UserInsightProfile.objects.filter(user_id__in=members, age_band__in=criteria.age_bands).values_list(
                "user_id", flat=True
            )
        )
    if criteria.purchased_products or criteria.purchased_from_partner:
        lines = OrderLine.objects.filter(owner=partner, order__user_id__in=members, order__status__in=PAID_STATUSES)
        if criteria.purchased_products:
            lines = lines.filter(product__slug__in=criteria.purchased_products)
        members &= set(lines.values_list("order__user_id", flat=True).distinct())
    if criteria.topics:
        wanted = set(criteria.topics)
        interested = {
            uid
            for uid, declared in Profile.objects.filter(user_id__in=members).values_list(
                "user_id", "declared_interests"
            )
            if wanted & set(declared or [])
        }
        interested |= {
            uid
            for uid, top in UserInsightProfile.objects.filter(user_id__in=members - interested).values_list(
                "user_id", "top_topics"
            )
            if wanted & {t.get("slug") for t in top or []}
        }
        members &= interested
    return sorted(members)


@dataclass(frozen=True)
class AdAudienceExport:
    hashes: list[str]
    audit: AuditEntry

    def as_csv(self) -> bytes:
        return ("email_sha256\n" + "".join(f"{h}\n" for h in self.hashes)).encode("ascii")


def ad_audience_size_is_enough(*, partner: Partner, criteria: Criteria) -> tuple[bool, int]:
    """Whether the segment could be exported now, and the minimum size that applies."""
    minimum = partner_privacy_get(partner=partner).ad_audience_min_size
    return len(ad_audience_members(partner=partner, criteria=criteria)) >= minimum, minimum


def ad_audience_export(
    *, partner: Partner, criteria: Criteria, actor: Actor, audience: AdAudience | None = None
) -> AdAudienceExport:
    """Hashed emails of the segment's consenting members, or ``AudienceTooSmall`` below the minimum.
    Consent is read inside the transaction that writes the audit entry and disclosures."""
    minimum = partner_privacy_get(partner=partner).ad_audience_min_size
    parameters = {"criteria": criteria.as_dict(), "audience": audience.pk if audience else None, "minimum": minimum}
    fields: dict[str, Any] = {
        "kind": AuditEntry.Kind.AD_AUDIENCE_EXPORT,
        "actor": actor,
        "partner": partner,
        "purpose": Consent.Purpose.AD_AUDIENCE,
        "data_categories": criteria.required_categories,
    }
    with transaction.atomic():
        members = ad_audience_members(partner=partner, criteria=criteria)
        if len(members) < minimum:
            audit_record(**fields, outcome=AuditEntry.Outcome.REFUSED, parameters={**parameters, "size": len(members)})
            too_small = True
        else:
            too_small = False
            emails = dict(User.objects.filter(pk__in=members).values_list("pk", "email"))
            hashes = sorted(email_hash(emails[uid]) for uid in members)
            audit = audit_record(**fields, row_count=len(hashes), parameters=parameters)
            categories = criteria.required_categories
            disclosures_record(
                audit=audit,
                partner=partner,
                purpose=Consent.Purpose.AD_AUDIENCE,
                categories_by_user=dict.fromkeys(members, categories),
            )
    if too_small:
        raise AudienceTooSmall(
            _(
                "This audience has fewer than %(n)d people who agreed to be in your advertising audiences, "
                "so it cannot be exported. Widen the criteria."
            )
            % {"n": minimum}
        )
    return AdAudienceExport(hashes=hashes, audit=audit)


def ad_audience_list(*, partner: Partner) -> list[AdAudience]:
    return list(AdAudience.objects.filter(partner=partner).order_by("name"))


def criteria_from_stored(audience: AdAudience) -> Criteria:
    data: dict[str, Any] = audience.criteria or {}
    return Criteria(
        topics=tuple(data.get("topics", [])),
        purchased_products=tuple(data.get("purchased_products", [])),
        purchased_from_partner=bool(data.get("purchased_from_partner")),
        regions=tuple(data.get("regions", [])),
        age_bands=tuple(data.get("age_bands", [])),
    )
