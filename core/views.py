from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.cache import never_cache

from core.api.errors import error_body
from core.health import health_report

API_PREFIX = "/api/"


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    report = health_report()
    return JsonResponse(report, status=503 if report["status"] == "down" else 200)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """A path no URL matches: under ``/api/`` the API's uniform JSON error body (clients parse
    JSON, never an HTML page); elsewhere Django's page."""
    if request.path.startswith(API_PREFIX):
        body = error_body(status_code=404, code="not_found", message=_("No API operation has this address."))
        return JsonResponse(body, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        body = error_body(
            status_code=500, code="server_error", message=_("Something went wrong on our side. Please try again.")
        )
        return JsonResponse(body, status=500)
    return defaults.server_error(request)
