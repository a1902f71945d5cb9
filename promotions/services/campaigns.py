"""Campaigns: creating them, sharing their cost, and moving them through their states."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _

from catalog.models import Product
from core.money import DEFAULT_CURRENCY, money_quantize
from promotions.errors import PromotionInvalid
from promotions.models import Campaign, CampaignPartner
from users.models import Partner, User

HUNDRED = Decimal(100)

# Allowed moves between campaign states.
CAMPAIGN_TRANSITIONS: dict[str, set[str]] = {
    Campaign.Status.DRAFT: {Campaign.Status.ACTIVE, Campaign.Status.ENDED},
    Campaign.Status.ACTIVE: {Campaign.Status.PAUSED, Campaign.Status.ENDED},
    Campaign.Status.PAUSED: {Campaign.Status.ACTIVE, Campaign.Status.ENDED},
    Campaign.Status.ENDED: set(),
}


def campaign_shares_validate(*, shares: Mapping[Partner, Decimal | str | int]) -> dict[Partner, Decimal]:
    """Cost shares as Decimal percents with two places, each 0..100, adding up to exactly 100."""
    if not shares:
        raise PromotionInvalid(_("A campaign needs at least one partner bearing its cost."))
    clean: dict[Partner, Decimal] = {}
    for partner, raw in shares.items():
        try:
            value = Decimal(str(raw))
        except InvalidOperation as exc:
            raise PromotionInvalid(_("The cost share of %(partner)s is not a number.") % {"partner": partner}) from exc
        if value != value.quantize(Decimal("0.01")) or not Decimal(0) <= value <= HUNDRED:
            raise PromotionInvalid(
                _("The cost share of %(partner)s must be between 0 and 100 with at most two decimals.")
                % {"partner": partner}
            )
        clean[partner] = value
    total = sum(clean.values(), Decimal(0))
    if total != HUNDRED:
        raise PromotionInvalid(
            _("The partners' cost shares add up to %(total)s%%; they must add up to exactly 100%%.") % {"total": total}
        )
    return clean


def _channels_validate(channels: Iterable[str]) -> list[str]:
    allowed = set(Campaign.Channel.values)
    result = []
    for channel in channels:
        if channel not in allowed:
            raise PromotionInvalid(
                _("Unknown channel “%(channel)s”; use one of: %(allowed)s.")
                % {"channel": channel, "allowed": ", ".join(sorted(allowed))}
            )
        if channel not in result:
            result.append(channel)
    return result


@transaction.atomic
def campaign_create(
    *,
    name: str,
    slug: str,
    starts_at: datetime,
    ends_at: datetime,
    shares: Mapping[Partner, Decimal | str | int],
    name_en: str = "",
    channels: Iterable[str] = (),
    budget: Decimal = Decimal(0),
    currency: str = DEFAULT_CURRENCY,
    products: Iterable[Product] = (),
    created_by: User | None = None,
    description: str = "",
) -> Campaign:
    """A draft campaign with its partners' cost shares (which must add up to 100)."""
    if ends_at <= starts_at:
        raise PromotionInvalid(_("A campaign must end after it starts."))
    if budget < 0:
        raise PromotionInvalid(_("A campaign's budget cannot be negative."))
    if Campaign.objects.filter(slug=slug).exists():
        raise PromotionInvalid(_("The slug “%(slug)s” is taken by another campaign.") % {"slug": slug})
    clean_shares = campaign_shares_validate(shares=shares)
    campaign = Campaign.objects.create(
        name=name,
        name_en=name_en,
        slug=slug,
        starts_at=starts_at,
        ends_at=ends_at,
        channels=_channels_validate(channels),
        budget=money_quantize(budget),
        currency=currency,
        created_by=created_by,
        description=description,
    )
    CampaignPartner.objects.bulk_create(
        CampaignPartner(campaign=campaign, partner=p, cost_share_percent=v) for p, v in clean_shares.items()
    )
    campaign.products.set(list(products))
    return campaign


@transaction.atomic
def campaign_shares_set(*, campaign: Campaign, shares: Mapping[Partner, Decimal | str | int]) -> Campaign:
    """Replace the campaign's cost shares as a whole; all or nothing."""
    clean = campaign_shares_validate(shares=shares)
    Campaign.objects.select_for_update().get(pk=campaign.pk)
    campaign.shares.exclude(partner__in=list(clean)).delete()
    for partner, value in clean.items():
        CampaignPartner.objects.update_or_create(
            campaign=campaign, partner=partner, defaults={"cost_share_percent": value}
        )
    return campaign


@transaction.atomic
def campaign_status_set(*, campaign: Campaign, status: str) -> Campaign:
    """Move the campaign to ``status`` if the transition is allowed. Going live needs shares adding up to 100."""
    locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if status == locked.status:
        return locked
    if status not in CAMPAIGN_TRANSITIONS.get(locked.status, set()):
        raise PromotionInvalid(
            _("A campaign cannot go from “%(old)s” to “%(new)s”.")
            % {"old": locked.get_status_display(), "new": Campaign.Status(status).label}
        )
    if status == Campaign.Status.ACTIVE:
        shares = {s.partner: s.cost_share_percent for s in locked.shares.select_related("partner")}
        campaign_shares_validate(shares=shares)
    locked.status = status
    locked.save(update_fields=["status", "updated_at"])
    return locked
