"""Errors the privacy services raise for partners and users to read."""

from core.errors import DomainError


class NotFoundForPartner(DomainError):
    """The thing named does not exist for this partner (another partner's product or campaign)."""

    code = "not_found"
    status_code = 404


class PrivacyBudgetExhausted(DomainError):
    code = "privacy_budget_exhausted"
    status_code = 403


class AudienceTooSmall(DomainError):
    code = "audience_too_small"
    status_code = 422


class NoConsentedCategories(DomainError):
    code = "no_consented_categories"


class ConfirmationFailed(DomainError):
    code = "confirmation_failed"
