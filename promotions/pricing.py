"""The pricing engine: pure functions from a cart and the promotions in force to a priced cart.

Nothing here reads the database or the clock; ``promotions.selectors`` builds
the inputs (``CartLine``, ``ShopperFacts``, ``CouponTerms``, ``OfferTerms``)
and callers pass the moment. Every amount is ``Decimal``, in cents.

How a cart is priced
--------------------
1. Lines are expanded into units (one per quantity). Each unit can take part
   in at most one bundle offer application.
2. **Bundle offers** apply automatically. Offers whose candidate units overlap
   form a group; within a group of at most ``EXACT_SEARCH_LIMIT`` offers every
   subset is tried (each offer, in priority order, taking its best remaining
   applications) and the largest saving wins; larger groups are combined
   greedily by the largest next saving. Ties go to higher priority, then the
   lower offer id, so the result is deterministic.
3. **Coupons** apply on what the offers left. Combinable coupons stack in
   descending priority (then code). An exclusive coupon stands alone: no
   offers and no other coupon. The engine prices every allowed combination —
   offers plus the combinable coupons, and each exclusive coupon alone — and
   keeps the cheapest for the shopper (ties: offers first, then priority).
4. An order-level coupon discount is allocated to units by largest remainder
   (``core.money.money_split``) in proportion to what each unit still costs,
   so line discounts add up to the order discount to the cent and no unit
   ever goes below zero.

The explanation of the choice (and of every code that was not used) comes in
both languages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from core.money import money_quantize, money_split

ZERO = Decimal("0.00")
HUNDRED = Decimal(100)
EXACT_SEARCH_LIMIT = 10
MAX_UNITS_PER_LINE = 999


# --- Inputs -------------------------------------------------------------------


@dataclass(frozen=True)
class Bilingual:
    zh: str
    en: str

    def as_dict(self) -> dict[str, str]:
        return {"zh-hans": self.zh, "en": self.en}

    def __str__(self) -> str:
        return self.en if (translation.get_language() or "").startswith("en") else self.zh


def bilingual(message: str | Promise, **params: Any) -> Bilingual:
    """Render a translatable message in both languages of the site."""
    texts = []
    for language in ("zh-hans", "en"):
        with translation.override(language):
            rendered = {k: _in_language(v, language) for k, v in params.items()}
            texts.append(str(message) % rendered if rendered else str(message))
    return Bilingual(zh=texts[0], en=texts[1])


def _in_language(value: Any, language: str) -> Any:
    if isinstance(value, Bilingual):
        return value.en if language == "en" else value.zh
    if isinstance(value, Promise):
        return str(value)
    return value


def names(zh: str, en: str = "") -> Bilingual:
    return Bilingual(zh=zh, en=en or zh)


@dataclass(frozen=True)
class CartLine:
    """One line of a cart: a variant, its product's facts, a unit price and a quantity."""

    ref: str
    variant_id: int
    product_id: int
    owner_id: int
    format: str
    unit_price: Decimal
    quantity: int = 1
    topic_ids: frozenset[int] = frozenset()
    currency: str = "CNY"
    title: str = ""


@dataclass(frozen=True)
class ShopperFacts:
    user_id: int | None
    is_first_order: bool
    territory: str


@dataclass(frozen=True)
class ProductRange:
    """Which lines a coupon or offer covers. Each non-empty dimension must match (empty: anything)."""

    product_ids: frozenset[int] = frozenset()
    topic_ids: frozenset[int] = frozenset()
    formats: frozenset[str] = frozenset()
    owner_ids: frozenset[int] = frozenset()

    def covers(self, line: CartLine) -> bool:
        return (
            (not self.product_ids or line.product_id in self.product_ids)
            and (not self.topic_ids or not self.topic_ids.isdisjoint(line.topic_ids))
            and (not self.formats or line.format in self.formats)
            and (not self.owner_ids or line.owner_id in self.owner_ids)
        )

    @property
    def is_empty(self) -> bool:
        return not (self.product_ids or self.topic_ids or self.formats or self.owner_ids)


@dataclass(frozen=True)
class CouponTerms:
    coupon_id: int
    code: str
    name: Bilingual
    kind: str  # percentage | fixed_amount | bundle_price
    value: Decimal
    currency: str
    valid_from: datetime
    valid_to: datetime
    product_range: ProductRange = ProductRange()
    min_spend: Decimal = ZERO
    first_order_only: bool = False
    territories: frozenset[str] = frozenset()
    exclusive: bool = False
    priority: int = 0
    max_units_per_order: int | None = None
    remaining_uses: int | None = None  # the coupon's and the code's, whichever is fewer; None: no limit
    remaining_user_uses: int | None = None  # None: no per-customer limit
    per_user_limited: bool = False
    is_active: bool = True
    campaign_id: int | None = None


@dataclass(frozen=True)
class OfferTerms:
    offer_id: int
    name: Bilingual
    kind: str  # cross_discount | group_price
    currency: str
    valid_from: datetime
    valid_to: datetime
    priority: int = 0
    territories: frozenset[str] = frozenset()
    trigger: ProductRange = ProductRange()
    target: ProductRange = ProductRange()
    percent_off: Decimal = ZERO
    group: ProductRange = ProductRange()
    group_size: int = 0
    group_price: Decimal = ZERO
    campaign_id: int | None = None


# --- Outputs ------------------------------------------------------------------


@dataclass(frozen=True)
class Adjustment:
    """One applied discount: an offer or a coupon, and how much each line got from it."""

    kind: str  # offer | coupon
    source_id: int
    code: str
    name: Bilingual
    campaign_id: int | None
    amount: Decimal
    line_amounts: dict[str, Decimal]
    explanation: Bilingual


@dataclass(frozen=True)
class Rejection:
    """A code the shopper entered that does not apply, and why."""

    code: str
    reason: str
    message: Bilingual
    coupon_id: int | None = None


@dataclass(frozen=True)
class PricedLine:
    ref: str
    quantity: int
    unit_price: Decimal
    subtotal: Decimal
    offer_discount: Decimal
    coupon_discount: Decimal

    @property
    def discount(self) -> Decimal:
        return self.offer_discount + self.coupon_discount

    @property
    def total(self) -> Decimal:
        return self.subtotal - self.discount


@dataclass(frozen=True)
class PricedCart:
    currency: str
    lines: list[PricedLine]
    adjustments: list[Adjustment]
    rejected: list[Rejection]
    explanation: Bilingual
    options_considered: int = 1

    @property
    def subtotal(self) -> Decimal:
        return sum((line.subtotal for line in self.lines), ZERO)

    @property
    def offer_discount(self) -> Decimal:
        return sum((a.amount for a in self.adjustments if a.kind == "offer"), ZERO)

    @property
    def coupon_discount(self) -> Decimal:
        return sum((a.amount for a in self.adjustments if a.kind == "coupon"), ZERO)

    @property
    def discount(self) -> Decimal:
        return sum((a.amount for a in self.adjustments), ZERO)

    @property
    def total(self) -> Decimal:
        return self.subtotal - self.discount

    @property
    def applied_codes(self) -> list[str]:
        return [a.code for a in self.adjustments if a.kind == "coupon"]

    def line(self, ref: str) -> PricedLine:
        return next(line for line in self.lines if line.ref == ref)


# --- Units and applications ---------------------------------------------------


@dataclass
class _Unit:
    index: int
    line: CartLine
    price: Decimal


@dataclass(frozen=True)
class _Application:
    """One use of an offer: the units it consumes and what each is discounted."""

    offer: OfferTerms
    discounts: tuple[tuple[int, Decimal], ...]  # (unit index, discount)
    consumed: frozenset[int]
    # Rendered only for the applications finally chosen: the search weighs many more.
    message: Promise
    params: tuple[tuple[str, Any], ...]

    @property
    def explanation(self) -> Bilingual:
        return bilingual(self.message, **dict(self.params))

    @property
    def saving(self) -> Decimal:
        return sum((d for _i, d in self.discounts), ZERO)


def _units(lines: Sequence[CartLine]) -> list[_Unit]:
    units: list[_Unit] = []
    for line in lines:
        for _n in range(line.quantity):
            units.append(_Unit(index=len(units), line=line, price=line.unit_price))
    return units


def _dearest_first(units: Iterable[_Unit]) -> list[_Unit]:
    return sorted(units, key=lambda u: (-u.price, u.index))


def _cross_applications(offer: OfferTerms, units: Sequence[_Unit]) -> list[_Application]:
    targets = _dearest_first(u for u in units if offer.target.covers(u.line))
    target_set = {u.index for u in targets}
    # Triggers that cannot be targets go first, then the cheapest: that leaves
    # the dear items free to be discounted.
    triggers = sorted(
        (u for u in units if offer.trigger.covers(u.line)),
        key=lambda u: (u.index in target_set, u.price, u.index),
    )
    used: set[int] = set()
    applications = []
    for target in targets:
        if target.index in used:
            continue
        trigger = next((t for t in triggers if t.index not in used and t.index != target.index), None)
        if trigger is None:
            break
        discount = min(money_quantize(target.price * offer.percent_off / HUNDRED), target.price)
        if discount <= 0:
            continue
        used.update({trigger.index, target.index})
        applications.append(
            _Application(
                offer=offer,
                discounts=((target.index, discount),),
                consumed=frozenset({trigger.index, target.index}),
                message=_("%(name)s: with “%(trigger)s”, “%(target)s” is %(percent)s%% off (−%(amount)s)."),
                params=(
                    ("name", offer.name),
                    ("trigger", trigger.line.title),
                    ("target", target.line.title),
                    ("percent", _percent_text(offer.percent_off)),
                    ("amount", discount),
                ),
            )
        )
    return applications


def _group_applications(offer: OfferTerms, units: Sequence[_Unit]) -> list[_Application]:
    size = offer.group_size
    if size < 2:
        return []
    members = _dearest_first(u for u in units if offer.group.covers(u.line))
    applications = []
    for start in range(0, len(members) - size + 1, size):
        group = members[start : start + size]
        total = sum((u.price for u in group), ZERO)
        saving = total - offer.group_price
        if saving <= 0:
            # Later groups are cheaper still: none of them saves anything either.
            break
        shares = money_split(amount=saving, weights=[u.price for u in group])
        applications.append(
            _Application(
                offer=offer,
                discounts=tuple((u.index, s) for u, s in zip(group, shares, strict=True)),
                consumed=frozenset(u.index for u in group),
                message=_("%(name)s: %(count)s items for %(price)s instead of %(total)s (−%(amount)s)."),
                params=(
                    ("name", offer.name),
                    ("count", size),
                    ("price", offer.group_price),
                    ("total", total),
                    ("amount", saving),
                ),
            )
        )
    return applications


def _offer_applications(offer: OfferTerms, units: Sequence[_Unit]) -> list[_Application]:
    if offer.kind == "cross_discount":
        return _cross_applications(offer, units)
    if offer.kind == "group_price":
        return _group_applications(offer, units)
    return []


def _offer_order(offer: OfferTerms) -> tuple[int, int]:
    return (-offer.priority, offer.offer_id)


def _best_offer_combination(offers: Sequence[OfferTerms], units: Sequence[_Unit]) -> tuple[list[_Application], int]:
    """The applications of the offers that save most; and how many combinations were weighed."""
    standalone = {o.offer_id: _offer_applications(o, units) for o in offers}
    applicable = sorted((o for o in offers if standalone[o.offer_id]), key=_offer_order)
    if not applicable:
        return [], 1
    # Offers that could never compete for the same unit are independent: group them.
    candidate_units = {o.offer_id: _candidate_units(o, units) for o in applicable}
    groups = _overlap_groups(applicable, candidate_units)
    chosen: list[_Application] = []
    weighed = 0
    for group in groups:
        if len(group) <= EXACT_SEARCH_LIMIT:
            applications, count = _exact_search(group, units, standalone)
        else:
            applications, count = _greedy_search(group, units)
        chosen.extend(applications)
        weighed += count
    return chosen, weighed


def _candidate_units(offer: OfferTerms, units: Sequence[_Unit]) -> frozenset[int]:
    if offer.kind == "cross_discount":
        return frozenset(u.index for u in units if offer.trigger.covers(u.line) or offer.target.covers(u.line))
    return frozenset(u.index for u in units if offer.group.covers(u.line))


def _overlap_groups(offers: Sequence[OfferTerms], candidates: dict[int, frozenset[int]]) -> list[list[OfferTerms]]:
    parent = {o.offer_id: o.offer_id for o in offers}

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    owner_of_unit: dict[int, int] = {}
    for offer in offers:
        for unit in candidates[offer.offer_id]:
            if unit in owner_of_unit:
                a, b = root(owner_of_unit[unit]), root(offer.offer_id)
                if a != b:
                    parent[max(a, b)] = min(a, b)
            else:
                owner_of_unit[unit] = offer.offer_id
    grouped: dict[int, list[OfferTerms]] = {}
    for offer in offers:  # already in priority order
        grouped.setdefault(root(offer.offer_id), []).append(offer)
    return sorted(grouped.values(), key=lambda g: _offer_order(g[0]))


def _exact_search(
    offers: Sequence[OfferTerms], units: Sequence[_Unit], standalone: dict[int, list[_Application]]
) -> tuple[list[_Application], int]:
    """Every subset of ``offers``, each applied in priority order; branch and bound on savings."""
    bounds = [sum((a.saving for a in standalone[o.offer_id]), ZERO) for o in offers]
    remaining_bound = [sum(bounds[i:], ZERO) for i in range(len(offers) + 1)]
    best: list[Any] = [ZERO, []]
    weighed = [0]

    def visit(i: int, free: list[_Unit], taken: list[_Application], saving: Decimal) -> None:
        if i == len(offers):
            weighed[0] += 1
            if saving > best[0]:
                best[0], best[1] = saving, list(taken)
            return
        if saving + remaining_bound[i] <= best[0]:
            weighed[0] += 1
            return
        applications = _offer_applications(offers[i], free)
        if applications:
            consumed = frozenset().union(*(a.consumed for a in applications))
            gained = sum((a.saving for a in applications), ZERO)
            visit(i + 1, [u for u in free if u.index not in consumed], [*taken, *applications], saving + gained)
        visit(i + 1, free, taken, saving)

    visit(0, list(units), [], ZERO)
    return best[1], weighed[0]


def _greedy_search(offers: Sequence[OfferTerms], units: Sequence[_Unit]) -> tuple[list[_Application], int]:
    free = list(units)
    remaining = list(offers)
    chosen: list[_Application] = []
    weighed = 0
    while remaining:
        scored = []
        for offer in remaining:
            applications = _offer_applications(offer, free)
            weighed += 1
            saving = sum((a.saving for a in applications), ZERO)
            if saving > 0:
                scored.append((-saving, _offer_order(offer), offer, applications))
        if not scored:
            break
        scored.sort(key=lambda s: (s[0], s[1]))
        _saving, _order, offer, applications = scored[0]
        chosen.extend(applications)
        consumed = frozenset().union(*(a.consumed for a in applications))
        free = [u for u in free if u.index not in consumed]
        remaining = [o for o in remaining if o.offer_id != offer.offer_id]
    return chosen, weighed


# --- Coupons ------------------------------------------------------------------


def _when(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _percent_text(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _coupon_problem(coupon: CouponTerms, *, shopper: ShopperFacts, currency: str, at: datetime) -> Rejection | None:
    def reject(reason: str, message: str | Promise, **params: Any) -> Rejection:
        return Rejection(
            code=coupon.code, reason=reason, coupon_id=coupon.coupon_id, message=bilingual(message, **params)
        )

    if not coupon.is_active:
        return reject("inactive", _("Coupon %(code)s is no longer offered."), code=coupon.code)
    if at < coupon.valid_from:
        return reject(
            "not_yet_valid",
            _("Coupon %(code)s can be used from %(start)s."),
            code=coupon.code,
            start=_when(coupon.valid_from),
        )
    if at >= coupon.valid_to:
        return reject(
            "expired",
            _("Coupon %(code)s expired on %(end)s."),
            code=coupon.code,
            end=_when(coupon.valid_to),
        )
    if coupon.territories and shopper.territory.upper() not in coupon.territories:
        return reject(
            "territory",
            _("Coupon %(code)s cannot be used in your region (%(territory)s)."),
            code=coupon.code,
            territory=shopper.territory.upper(),
        )
    if coupon.currency != currency:
        return reject(
            "currency", _("Coupon %(code)s is for prices in %(currency)s."), code=coupon.code, currency=coupon.currency
        )
    if coupon.remaining_uses is not None and coupon.remaining_uses <= 0:
        return reject("used_up", _("Coupon %(code)s has been used up."), code=coupon.code)
    if (coupon.first_order_only or coupon.per_user_limited) and shopper.user_id is None:
        return reject("login_required", _("Log in to use coupon %(code)s."), code=coupon.code)
    if coupon.first_order_only and not shopper.is_first_order:
        return reject("first_order_only", _("Coupon %(code)s is for a first order only."), code=coupon.code)
    if coupon.remaining_user_uses is not None and coupon.remaining_user_uses <= 0:
        return reject(
            "already_used", _("You have already used coupon %(code)s as often as it allows."), code=coupon.code
        )
    return None


@dataclass
class _CouponOutcome:
    discounts: dict[int, Decimal] = field(default_factory=dict)
    rejection: Rejection | None = None
    explanation: Bilingual | None = None

    @property
    def saving(self) -> Decimal:
        return sum(self.discounts.values(), ZERO)


def _apply_coupon(coupon: CouponTerms, units: Sequence[_Unit], remaining: dict[int, Decimal]) -> _CouponOutcome:
    """The coupon's discount on each unit, given what each unit still costs."""

    def reject(reason: str, message: str | Promise, **params: Any) -> _CouponOutcome:
        return _CouponOutcome(
            rejection=Rejection(
                code=coupon.code, reason=reason, coupon_id=coupon.coupon_id, message=bilingual(message, **params)
            )
        )

    in_range = [u for u in units if coupon.product_range.covers(u.line) and remaining[u.index] > 0]
    if not in_range:
        return reject("no_items", _("Nothing in your cart is covered by coupon %(code)s."), code=coupon.code)
    in_range.sort(key=lambda u: (-remaining[u.index], u.index))
    spend = sum((remaining[u.index] for u in in_range), ZERO)
    if spend < coupon.min_spend:
        return reject(
            "min_spend",
            _("Coupon %(code)s needs %(min)s spent on the items it covers; add %(missing)s more."),
            code=coupon.code,
            min=coupon.min_spend,
            missing=coupon.min_spend - spend,
        )
    if coupon.kind == "bundle_price":
        chosen: list[_Unit] = []
        for product_id in sorted(coupon.product_range.product_ids):
            unit = next((u for u in in_range if u.line.product_id == product_id), None)
            if unit is None:
                return reject(
                    "incomplete_set",
                    _("Coupon %(code)s needs every product of its set in your cart."),
                    code=coupon.code,
                )
            chosen.append(unit)
        base = sum((remaining[u.index] for u in chosen), ZERO)
        saving = max(base - coupon.value, ZERO)
        explanation = bilingual(
            _("Coupon %(code)s: the set for %(price)s (−%(amount)s)."),
            code=coupon.code,
            price=coupon.value,
            amount=saving,
        )
    else:
        chosen = in_range[: coupon.max_units_per_order] if coupon.max_units_per_order else in_range
        base = sum((remaining[u.index] for u in chosen), ZERO)
        if coupon.kind == "percentage":
            saving = money_quantize(base * coupon.value / HUNDRED)
            explanation = bilingual(
                _("Coupon %(code)s: %(percent)s%% off %(base)s (−%(amount)s)."),
                code=coupon.code,
                percent=_percent_text(coupon.value),
                base=base,
                amount=saving,
            )
        else:
            saving = min(coupon.value, base)
            explanation = bilingual(
                _("Coupon %(code)s: %(value)s off (−%(amount)s)."), code=coupon.code, value=coupon.value, amount=saving
            )
    saving = min(saving, base)
    if saving <= 0:
        return reject("no_saving", _("Coupon %(code)s would not lower your price."), code=coupon.code)
    shares = money_split(amount=saving, weights=[remaining[u.index] for u in chosen])
    return _CouponOutcome(
        discounts={u.index: s for u, s in zip(chosen, shares, strict=True) if s}, explanation=explanation
    )


def _coupon_order(coupon: CouponTerms) -> tuple[int, str]:
    return (-coupon.priority, coupon.code)


@dataclass
class _Option:
    label: Bilingual
    offers: list[_Application]
    coupons: list[tuple[CouponTerms, _CouponOutcome]]
    skipped: list[Rejection]

    @property
    def saving(self) -> Decimal:
        return sum((a.saving for a in self.offers), ZERO) + sum((o.saving for _c, o in self.coupons), ZERO)


def _stack_coupons(
    coupons: Sequence[CouponTerms], units: Sequence[_Unit], remaining: dict[int, Decimal]
) -> tuple[list[tuple[CouponTerms, _CouponOutcome]], list[Rejection]]:
    applied = []
    rejected = []
    left = dict(remaining)
    for coupon in sorted(coupons, key=_coupon_order):
        outcome = _apply_coupon(coupon, units, left)
        if outcome.rejection is not None:
            rejected.append(outcome.rejection)
            continue
        for index, amount in outcome.discounts.items():
            left[index] -= amount
        applied.append((coupon, outcome))
    return applied, rejected


# --- The engine -----------------------------------------------------------------


def cart_price(
    *,
    lines: Sequence[CartLine],
    shopper: ShopperFacts,
    coupons: Sequence[CouponTerms] = (),
    offers: Sequence[OfferTerms] = (),
    at: datetime,
    unknown_codes: Sequence[str] = (),
) -> PricedCart:
    """Price ``lines`` with the offers in force and the coupons entered, at ``at``.

    ``coupons`` are the terms of the codes the shopper entered (one per code);
    ``unknown_codes`` are entered codes that match no coupon, reported back.
    Raises ``ValueError`` for a malformed cart (mixed currencies, a negative
    price, a quantity outside 1..999).
    """
    currency = _cart_currency(lines)
    units = _units(lines)
    rejected = [
        Rejection(
            code=code, reason="unknown", message=bilingual(_("There is no coupon with the code %(code)s."), code=code)
        )
        for code in unknown_codes
    ]

    territory = shopper.territory.upper()
    live_offers = [
        o
        for o in offers
        if o.valid_from <= at < o.valid_to
        and o.currency == currency
        and (not o.territories or territory in o.territories)
    ]
    offer_applications, weighed = _best_offer_combination(live_offers, units)

    usable: list[CouponTerms] = []
    seen_coupons: set[int] = set()
    for coupon in sorted(coupons, key=_coupon_order):
        problem = _coupon_problem(coupon, shopper=shopper, currency=currency, at=at)
        if problem is None and coupon.coupon_id in seen_coupons:
            problem = Rejection(
                code=coupon.code,
                reason="duplicate",
                coupon_id=coupon.coupon_id,
                message=bilingual(_("Coupon %(code)s repeats a coupon already entered."), code=coupon.code),
            )
        if problem is not None:
            rejected.append(problem)
            continue
        seen_coupons.add(coupon.coupon_id)
        usable.append(coupon)

    list_prices = {u.index: u.price for u in units}
    after_offers = dict(list_prices)
    for application in offer_applications:
        for index, amount in application.discounts:
            after_offers[index] -= amount

    combinable = [c for c in usable if not c.exclusive]
    exclusive = [c for c in usable if c.exclusive]
    stacked, stack_rejected = _stack_coupons(combinable, units, after_offers)
    options = [
        _Option(
            label=bilingual(_("bundle offers and combinable coupons")),
            offers=offer_applications,
            coupons=stacked,
            skipped=stack_rejected,
        )
    ]
    for coupon in sorted(exclusive, key=_coupon_order):
        outcome = _apply_coupon(coupon, units, list_prices)
        if outcome.rejection is not None:
            rejected.append(outcome.rejection)
            continue
        options.append(
            _Option(
                label=bilingual(_("exclusive coupon %(code)s alone"), code=coupon.code),
                offers=[],
                coupons=[(coupon, outcome)],
                skipped=[],
            )
        )
    # Largest saving wins; on a tie the earlier option (offers first, then by priority).
    best = max(enumerate(options), key=lambda pair: (pair[1].saving, -pair[0]))[1]
    rejected.extend(best.skipped)
    for option in options:
        if option is best:
            continue
        for coupon, _outcome in option.coupons:
            if coupon.code in {c.code for c, _o in best.coupons}:
                continue
            rejected.append(
                Rejection(
                    code=coupon.code,
                    reason="not_combinable",
                    coupon_id=coupon.coupon_id,
                    message=bilingual(
                        _("Coupon %(code)s was not used: %(other)s saves you more (−%(best)s against −%(this)s)."),
                        code=coupon.code,
                        other=best.label,
                        best=best.saving,
                        this=option.saving,
                    ),
                )
            )
    return _assemble(lines, units, best, rejected, currency=currency, weighed=weighed + len(options) - 1)


def _cart_currency(lines: Sequence[CartLine]) -> str:
    currencies = {line.currency for line in lines}
    if len(currencies) > 1:
        raise ValueError("a cart holds one currency")
    for line in lines:
        if line.unit_price < 0:
            raise ValueError(f"line {line.ref}: negative price")
        if not 1 <= line.quantity <= MAX_UNITS_PER_LINE:
            raise ValueError(f"line {line.ref}: quantity must be 1..{MAX_UNITS_PER_LINE}")
        if money_quantize(line.unit_price) != line.unit_price:
            raise ValueError(f"line {line.ref}: price has fractions of a cent")
    return currencies.pop() if currencies else "CNY"


def _assemble(
    lines: Sequence[CartLine],
    units: Sequence[_Unit],
    option: _Option,
    rejected: list[Rejection],
    *,
    currency: str,
    weighed: int,
) -> PricedCart:
    unit_line = {u.index: u.line.ref for u in units}
    offer_by_line: dict[str, Decimal] = {}
    coupon_by_line: dict[str, Decimal] = {}
    adjustments: list[Adjustment] = []

    by_offer: dict[int, list[_Application]] = {}
    for application in option.offers:
        by_offer.setdefault(application.offer.offer_id, []).append(application)
    for applications in sorted(by_offer.values(), key=lambda apps: _offer_order(apps[0].offer)):
        offer = applications[0].offer
        explanations = [a.explanation for a in applications]
        per_line: dict[str, Decimal] = {}
        for application in applications:
            for index, amount in application.discounts:
                ref = unit_line[index]
                per_line[ref] = per_line.get(ref, ZERO) + amount
                offer_by_line[ref] = offer_by_line.get(ref, ZERO) + amount
        adjustments.append(
            Adjustment(
                kind="offer",
                source_id=offer.offer_id,
                code="",
                name=offer.name,
                campaign_id=offer.campaign_id,
                amount=sum(per_line.values(), ZERO),
                line_amounts=per_line,
                explanation=Bilingual(
                    zh=" ".join(e.zh for e in explanations),
                    en=" ".join(e.en for e in explanations),
                ),
            )
        )
    for coupon, outcome in option.coupons:
        per_line = {}
        for index, amount in outcome.discounts.items():
            ref = unit_line[index]
            per_line[ref] = per_line.get(ref, ZERO) + amount
            coupon_by_line[ref] = coupon_by_line.get(ref, ZERO) + amount
        assert outcome.explanation is not None
        adjustments.append(
            Adjustment(
                kind="coupon",
                source_id=coupon.coupon_id,
                code=coupon.code,
                name=coupon.name,
                campaign_id=coupon.campaign_id,
                amount=outcome.saving,
                line_amounts=per_line,
                explanation=outcome.explanation,
            )
        )
    priced_lines = [
        PricedLine(
            ref=line.ref,
            quantity=line.quantity,
            unit_price=line.unit_price,
            subtotal=line.unit_price * line.quantity,
            offer_discount=offer_by_line.get(line.ref, ZERO),
            coupon_discount=coupon_by_line.get(line.ref, ZERO),
        )
        for line in lines
    ]
    return PricedCart(
        currency=currency,
        lines=priced_lines,
        adjustments=adjustments,
        rejected=rejected,
        explanation=_summary(adjustments, rejected),
        options_considered=weighed,
    )


def _summary(adjustments: Sequence[Adjustment], rejected: Sequence[Rejection]) -> Bilingual:
    def join(pick: Callable[[Bilingual], str], language: str) -> str:
        parts = [pick(a.explanation) for a in adjustments] or [_none_applied(language)]
        parts += [pick(r.message) for r in rejected]
        return " ".join(parts)

    return Bilingual(zh=join(lambda b: b.zh, "zh-hans"), en=join(lambda b: b.en, "en"))


def _none_applied(language: str) -> str:
    with translation.override(language):
        return str(_("No discount applies to this cart."))
