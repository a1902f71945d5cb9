from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class UsersConfig(AppConfig):
    name = "users"
    verbose_name = _("Accounts and partners")

    def ready(self) -> None:
        from core.demo import demo_loader_register
        from users import demo

        demo_loader_register(app_label="users", loader=demo.load)
