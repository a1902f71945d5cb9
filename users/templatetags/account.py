from django import template
from django.utils.functional import Promise

from users.portal import account_links

register = template.Library()


@register.simple_tag
def account_menu() -> list[tuple[str, str | Promise, str]]:
    return account_links()
