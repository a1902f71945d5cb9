from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommerceConfig(AppConfig):
    name = "commerce"
    verbose_name = _("Commerce")

    def ready(self) -> None:
        from commerce import receivers  # noqa: F401  (merges the anonymous cart at login)
        from commerce.selectors import user_is_first_order
        from core.demo import demo_loader_register
        from promotions.hooks import first_order_resolver_register

        # First-order coupons: a shopper's first order is one placed before any order of theirs was paid.
        first_order_resolver_register(user_is_first_order)

        def load_demo(**kwargs: object) -> str:
            from commerce import demo

            return demo.load(**kwargs)

        demo_loader_register(app_label="commerce", loader=load_demo)
