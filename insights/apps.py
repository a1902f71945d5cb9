from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    name = "insights"
    verbose_name = _("Insights")

    def ready(self) -> None:
        from insights import privacy_hooks, receivers
        from users.scopes import scope_register

        scope_register(name="events:write", description=_("Send behaviour events from the partner's apps"))
        receivers.connect()
        privacy_hooks.register()
