from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from core.views import healthz

admin.site.site_header = _("Zhiqiao administration")
admin.site.site_title = _("Zhiqiao admin")

# Under /api/ a missing address or a crash answers with the API's JSON error body.
handler404 = "core.views.page_not_found"
handler500 = "core.views.server_error"

api_v1 = [
    path("", include("users.api_urls")),
    path("", include("catalog.api_urls")),
    path("", include("catalog.ingest_api")),
    path("", include("commerce.api_urls")),
    path("", include("insights.api_urls")),
    path("", include("insights.privacy_api_urls")),
    path("", include("promotions.api_urls")),
    path("", include("recommendations.api_urls")),
    path("", include("settlements.api_urls")),
]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script as a file, so the CSP needs no inline script.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("catalog.home_urls")),
    path("", include("users.urls")),
    path("", include("catalog.urls")),
    path("", include("commerce.urls")),
    path("", include("settlements.urls")),
    path("", include("insights.urls")),
    path("", include("insights.privacy_urls")),
    path("", include("promotions.urls")),
    path("", include("storefront.landing_urls")),
    path("", include("storefront.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
