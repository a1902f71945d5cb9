"""Coupons: creating them, generating batches of codes, redeeming and releasing them.

Locking contract of ``coupon_redeem``: within one transaction it (1) inserts the
redemption row, whose partial unique indexes hold the per-customer slot and
"once per order"; (2) moves ``Coupon.used`` by one conditional UPDATE; (3)
moves ``CouponCode.used`` the same way. Every redemption takes the locks in
that order, so concurrent redemptions queue instead of deadlocking, and no
counter is ever read and then written.

Release rule: a redemption is released — its uses given back — when the
order's payment fails or expires, when the order is cancelled before payment,
or when the order is refunded in full. A partial refund keeps the coupon used.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterable
from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Product, Topic
from core.money import DEFAULT_CURRENCY, money_quantize
from promotions.errors import CouponAlreadyUsed, CouponExhausted, CouponNotApplicable, CouponNotFound, PromotionInvalid
from promotions.models import Campaign, Coupon, CouponCode, Redemption, ReferralLink
from users.models import Partner, User

CODE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9_-]{2,31}$")
# No 0/O, 1/I/L: codes are read aloud and typed from posters.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
GENERATION_CHUNK = 1000
MAX_BATCH = 100_000


def coupon_code_normalize(code: str) -> str:
    return code.strip().upper()


def _code_validate(code: str) -> str:
    normal = coupon_code_normalize(code)
    if not CODE_PATTERN.match(normal):
        raise PromotionInvalid(
            _("“%(code)s” is not a usable code: use 3–32 letters, digits, - or _, starting with a letter or digit.")
            % {"code": code}
        )
    return normal


@transaction.atomic
def coupon_create(
    *,
    name: str,
    kind: str,
    value: Decimal,
    valid_from: datetime,
    valid_to: datetime,
    code: str | None = None,
    name_en: str = "",
    campaign: Campaign | None = None,
    currency: str = DEFAULT_CURRENCY,
    min_spend: Decimal = Decimal(0),
    products: Iterable[Product] = (),
    topics: Iterable[Topic] = (),
    partners: Iterable[Partner] = (),
    formats: str = "",
    territories: str = "",
    first_order_only: bool = False,
    usage_limit: int | None = None,
    per_user_limit: int | None = 1,
    max_units_per_order: int | None = None,
    exclusive: bool = False,
    priority: int = 0,
    referral_link: ReferralLink | None = None,
) -> Coupon:
    """A coupon and, when ``code`` is given, its single shared code."""
    if kind not in Coupon.Kind.values:
        raise PromotionInvalid(_("Unknown coupon kind “%(kind)s”.") % {"kind": kind})
    value = money_quantize(value)
    if value <= 0:
        raise PromotionInvalid(_("A coupon's value must be more than zero."))
    if kind == Coupon.Kind.PERCENTAGE and value > 100:
        raise PromotionInvalid(_("A percentage coupon cannot take off more than 100%."))
    if valid_to <= valid_from:
        raise PromotionInvalid(_("A coupon must stop being valid after it starts."))
    products = list(products)
    if kind == Coupon.Kind.BUNDLE_PRICE and len(products) < 2:
        raise PromotionInvalid(_("A set-price coupon needs at least two products in its set."))
    if per_user_limit is not None and per_user_limit < 1:
        raise PromotionInvalid(_("Uses per customer must be at least 1, or blank for no limit."))
    normal_code = _code_validate(code) if code else None
    if normal_code and CouponCode.objects.filter(code=normal_code).exists():
        raise PromotionInvalid(_("The code %(code)s is already in use.") % {"code": normal_code})
    coupon = Coupon.objects.create(
        name=name,
        name_en=name_en,
        campaign=campaign,
        kind=kind,
        value=value,
        currency=currency,
        min_spend=money_quantize(min_spend),
        formats=formats,
        territories=territories.upper(),
        first_order_only=first_order_only,
        usage_limit=usage_limit,
        per_user_limit=per_user_limit,
        max_units_per_order=max_units_per_order,
        valid_from=valid_from,
        valid_to=valid_to,
        exclusive=exclusive,
        priority=priority,
        referral_link=referral_link,
    )
    coupon.products.set(products)
    coupon.topics.set(list(topics))
    coupon.partners.set(list(partners))
    if normal_code:
        CouponCode.objects.create(coupon=coupon, code=normal_code)
    return coupon


def coupon_codes_generate(
    *,
    coupon: Coupon,
    count: int,
    prefix: str = "",
    length: int = 10,
    max_uses: int | None = 1,
    batch: str = "",
    progress: Callable[[int, int], None] | None = None,
) -> list[str]:
    """Add ``count`` new unique random codes to the coupon (single-use by default); returns them.

    Codes are made in chunks, each inserted in its own transaction, so a large
    batch shows progress through ``progress(done, total)``; a collision with an
    existing code is simply drawn again.
    """
    if not 1 <= count <= MAX_BATCH:
        raise PromotionInvalid(_("Generate between 1 and %(max)s codes at a time.") % {"max": MAX_BATCH})
    prefix = coupon_code_normalize(prefix)
    if prefix and not re.fullmatch(r"[A-Z0-9_-]{1,12}", prefix):
        raise PromotionInvalid(_("A code prefix may hold up to 12 letters, digits, - or _."))
    if not 6 <= length <= 20:
        raise PromotionInvalid(_("Random parts of codes must be 6 to 20 characters long."))
    batch = batch or timezone.now().strftime("%Y%m%d-%H%M%S")
    made: list[str] = []
    while len(made) < count:
        want = min(GENERATION_CHUNK, count - len(made))
        drawn = {prefix + "".join(secrets.choice(CODE_ALPHABET) for _ in range(length)) for _ in range(want)}
        taken = set(CouponCode.objects.filter(code__in=drawn).values_list("code", flat=True))
        fresh = sorted(drawn - taken)
        with transaction.atomic():
            created = CouponCode.objects.bulk_create(
                [CouponCode(coupon=coupon, code=c, max_uses=max_uses, batch=batch) for c in fresh],
                ignore_conflicts=True,
            )
        # ignore_conflicts hides a race with another generator: count what really landed.
        landed = set(
            CouponCode.objects.filter(coupon=coupon, batch=batch, code__in=[c.code for c in created]).values_list(
                "code", flat=True
            )
        )
        made.extend(sorted(landed))
        if progress is not None:
            progress(len(made), count)
    return made[:count]


def coupon_code_lookup(*, code: str) -> CouponCode:
    normal = coupon_code_normalize(code)
    found = CouponCode.objects.select_related("coupon").filter(code=normal).first()
    if found is None:
        raise CouponNotFound(normal)
    return found


def _take_user_slot(
    *, coupon: Coupon, code: CouponCode, user: User, order_number: str, discount: Decimal, currency: str
) -> Redemption:
    if coupon.per_user_limit is None:
        with transaction.atomic():
            return Redemption.objects.create(
                coupon=coupon, code=code, user=user, order_number=order_number, discount=discount, currency=currency
            )
    for slot in range(1, coupon.per_user_limit + 1):
        try:
            with transaction.atomic():
                return Redemption.objects.create(
                    coupon=coupon,
                    code=code,
                    user=user,
                    order_number=order_number,
                    use_number=slot,
                    discount=discount,
                    currency=currency,
                )
        except IntegrityError:
            if Redemption.objects.filter(
                code=code, order_number=order_number, status=Redemption.Status.ACTIVE
            ).exists():
                raise
            continue  # This slot is taken (perhaps by a concurrent redemption): try the next.
    raise CouponAlreadyUsed(code.code)


@transaction.atomic
def coupon_redeem(
    *,
    code: str,
    user: User,
    order_number: str,
    discount: Decimal,
    currency: str = DEFAULT_CURRENCY,
    at: datetime | None = None,
) -> Redemption:
    """Use ``code`` once on ``order_number`` for ``user``; race-free (see the module's locking contract).

    A replay for the same code and order returns the first redemption.
    Raises ``CouponNotFound``, ``CouponNotApplicable`` (inactive or outside its
    validity), ``CouponAlreadyUsed`` (per-customer limit), ``CouponExhausted``.
    """
    at = at or timezone.now()
    found = coupon_code_lookup(code=code)
    coupon = found.coupon
    existing = Redemption.objects.filter(code=found, order_number=order_number, status=Redemption.Status.ACTIVE).first()
    if existing is not None:
        return existing
    if not coupon.is_active or not coupon.valid_from <= at < coupon.valid_to:
        raise CouponNotApplicable(_("Coupon %(code)s is not valid now.") % {"code": found.code})
    try:
        redemption = _take_user_slot(
            coupon=coupon,
            code=found,
            user=user,
            order_number=order_number,
            discount=money_quantize(discount),
            currency=currency,
        )
    except IntegrityError:
        # A concurrent replay of this very redemption won: return its row.
        return Redemption.objects.get(code=found, order_number=order_number, status=Redemption.Status.ACTIVE)
    bumped = Coupon.objects.filter(Q(usage_limit__isnull=True) | Q(used__lt=F("usage_limit")), pk=coupon.pk).update(
        used=F("used") + 1
    )
    if bumped == 0:
        raise CouponExhausted(found.code)
    bumped = CouponCode.objects.filter(Q(max_uses__isnull=True) | Q(used__lt=F("max_uses")), pk=found.pk).update(
        used=F("used") + 1
    )
    if bumped == 0:
        raise CouponExhausted(found.code)
    return redemption


@transaction.atomic
def coupon_release(*, order_number: str, reason: str, at: datetime | None = None) -> int:
    """Give back the uses of every active redemption on ``order_number``; returns how many.

    Safe to call twice: released redemptions stay released. Rows are locked in
    primary-key order, counters move by conditional UPDATE.
    """
    at = at or timezone.now()
    released = 0
    for redemption in (
        Redemption.objects.select_for_update()
        .filter(order_number=order_number, status=Redemption.Status.ACTIVE)
        .order_by("pk")
    ):
        redemption.status = Redemption.Status.RELEASED
        redemption.released_at = at
        redemption.release_reason = reason[:40]
        redemption.save(update_fields=["status", "released_at", "release_reason"])
        Coupon.objects.filter(pk=redemption.coupon_id, used__gt=0).update(used=F("used") - 1)
        CouponCode.objects.filter(pk=redemption.code_id, used__gt=0).update(used=F("used") - 1)
        released += 1
    return released
