from django.http import HttpRequest

from users.models import Membership


def partner_memberships(request: HttpRequest) -> dict[str, object]:
    """Whether to show the partner portal link in the navigation."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"is_partner_member": False}
    return {"is_partner_member": user.is_staff or Membership.objects.filter(user_id=user.pk).exists()}
