"""Writes for promotions, one module per seam: campaigns, coupons, offers, referrals, and the
checkout facade commerce calls (``promotions.services.checkout``)."""
