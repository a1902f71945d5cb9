"""Errors the promotion services raise; each says what was wrong in the user's language."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from core.errors import Conflict, DomainError


class CouponNotFound(DomainError):
    code = "coupon_not_found"
    status_code = 404

    def __init__(self, code: str) -> None:
        super().__init__(_("There is no coupon with the code %(code)s. Check the spelling.") % {"code": code})


class CouponExhausted(Conflict):
    """The coupon (or this code) has no uses left."""

    code = "coupon_used_up"

    def __init__(self, code: str) -> None:
        super().__init__(_("Coupon %(code)s has been used up. Remove it to check out.") % {"code": code})


class CouponAlreadyUsed(Conflict):
    """The customer has used the coupon as often as it allows."""

    code = "coupon_already_used"

    def __init__(self, code: str) -> None:
        super().__init__(
            _("You have already used coupon %(code)s as often as it allows. Remove it to check out.") % {"code": code}
        )


class CouponNotApplicable(DomainError):
    code = "coupon_not_applicable"

    def __init__(self, message: object) -> None:
        super().__init__(message)


class PromotionInvalid(DomainError):
    """A campaign, coupon, offer or programme that would break a rule."""

    code = "promotion_invalid"


class ReferralInvalid(DomainError):
    code = "referral_invalid"
