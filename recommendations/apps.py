from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecommendationsConfig(AppConfig):
    name = "recommendations"
    verbose_name = _("Recommendations")

    def ready(self) -> None:
        from core.demo import demo_loader_register
        from recommendations import demo, receivers
        from recommendations.store import connect_setting_changes
        from users.scopes import scope_register

        scope_register(
            name="recommendations:read",
            description=_("Read recommendations for users who consented to share their interests with the partner"),
        )
        demo_loader_register(app_label="recommendations", loader=demo.load)
        connect_setting_changes()
        receivers.connect()
