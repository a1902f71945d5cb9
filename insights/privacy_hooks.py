"""What the privacy part of insights registers with the layers below it, at start-up.

Called from ``InsightsConfig.ready()``: partner API scopes, the portal's
"Audience" section, the admin, the tasks, and the consent receiver that issues
deletion notices as soon as a consent is withdrawn.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _


def register() -> None:
    from insights import privacy_admin, privacy_tasks  # noqa: F401  (admin registrations, Celery tasks)
    from users.models import Consent, Partner
    from users.portal import AccountLink, PortalSection, account_link_register, portal_section_register
    from users.scopes import scope_register

    scope_register(name="insights:read", description=_("Ask aggregate, anonymised audience insights"))
    scope_register(
        name="insights:share",
        description=_("Download pseudonymised data of consenting users and read deletion notices"),
    )
    scope_register(name="audiences:export", description=_("Build and export consented advertising audiences"))
    portal_section_register(
        PortalSection(
            title=_("Audience"),
            url_name="privacy:partner-audience",
            applies_to=lambda partner: partner.kind != Partner.Kind.PLATFORM,
        )
    )
    account_link_register(AccountLink(key="mydata", title=_("My data"), url_name="privacy:my-data"))
    post_save.connect(consent_saved, sender=Consent, dispatch_uid="insights.privacy.consent_saved")


def consent_saved(sender: object, instance: Any = None, created: bool = False, **kwargs: object) -> None:
    """A withdrawn consent: tell the partner to delete what it received about the user for that purpose."""
    if instance is None or created or instance.revoked_at is None:
        return
    from insights.sharing import deletion_notices_issue

    deletion_notices_issue(partner=instance.partner, purpose=instance.purpose, user=instance.user)
