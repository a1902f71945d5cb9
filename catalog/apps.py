from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = _("Catalogue")

    def ready(self) -> None:
        from catalog import admin_imports  # noqa: F401  (registers the import admin)
        from core.demo import demo_loader_register
        from users.models import Partner
        from users.portal import PortalSection, portal_section_register
        from users.scopes import scope_register

        scope_register(name="catalog:read", description=_("Read the partner's own catalogue, including drafts"))
        scope_register(name="catalog:write", description=_("Create, change and import the partner's own catalogue"))
        portal_section_register(
            PortalSection(
                title=_("Catalogue"),
                url_name="catalog:portal",
                applies_to=lambda partner: partner.kind != Partner.Kind.ADVERTISER,
            )
        )

        def load_demo(**kwargs: object) -> str:
            from catalog import demo

            return demo.load(**kwargs)

        demo_loader_register(app_label="catalog", loader=load_demo)
