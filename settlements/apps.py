from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SettlementsConfig(AppConfig):
    name = "settlements"
    verbose_name = _("Revenue sharing")

    def ready(self) -> None:
        from core.demo import demo_loader_register
        from users.models import Partner
        from users.portal import PortalSection, portal_section_register
        from users.scopes import scope_register

        scope_register(
            name="settlements:read", description=_("Read the partner's revenue-sharing contracts and statements")
        )
        portal_section_register(
            PortalSection(
                title=_("Statements"),
                url_name="settlements:portal-statements",
                applies_to=lambda partner: partner.kind != Partner.Kind.ADVERTISER,
            )
        )

        def load_demo(**kwargs: object) -> str:
            from settlements import demo

            return demo.load(**kwargs)

        demo_loader_register(app_label="settlements", loader=load_demo)
