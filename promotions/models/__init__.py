"""Joint promotions: campaigns and their cost shares, coupons, bundle offers,
landing pages, referral (分销) programmes, and what each brought.

Split along the seams a reader expects; import from ``promotions.models``.
"""

from promotions.models.campaigns import Campaign, CampaignConversion, CampaignPartner, LandingPage
from promotions.models.coupons import Coupon, CouponCode, Redemption
from promotions.models.offers import Offer
from promotions.models.referrals import ReferralCommission, ReferralLink, ReferralProductRate, ReferralProgramme

__all__ = [
    "Campaign",
    "CampaignConversion",
    "CampaignPartner",
    "Coupon",
    "CouponCode",
    "LandingPage",
    "Offer",
    "Redemption",
    "ReferralCommission",
    "ReferralLink",
    "ReferralProductRate",
    "ReferralProgramme",
]
