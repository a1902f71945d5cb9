from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PromotionsConfig(AppConfig):
    name = "promotions"
    verbose_name = _("Promotions")

    def ready(self) -> None:
        from core.demo import demo_loader_register
        from users.portal import PortalSection, portal_section_register
        from users.scopes import scope_register

        scope_register(name="promotions:read", description=_("Read the partner's campaigns and their reports"))
        portal_section_register(PortalSection(title=_("Campaigns"), url_name="promotions:portal-campaigns"))

        def load_demo(**kwargs: object) -> str:
            from promotions import demo

            return demo.load(**kwargs)

        demo_loader_register(app_label="promotions", loader=load_demo)
