from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommerceConfig(AppConfig):
    name = "commerce"
    verbose_name = _("Commerce")

    def ready(self) -> None:
        from commerce import receivers  # noqa: F401  (merges the anonymous cart at login)
        from core.demo import demo_loader_register

        def load_demo(**kwargs: object) -> str:
            from commerce import demo

            return demo.load(**kwargs)

        demo_loader_register(app_label="commerce", loader=load_demo)
