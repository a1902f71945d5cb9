from django.urls import path

from users import api

urlpatterns = [
    path("auth/register/", api.RegisterView.as_view(), name="api-register"),
    path("auth/login/", api.LoginView.as_view(), name="api-login"),
    path("auth/logout/", api.LogoutView.as_view(), name="api-logout"),
    path("auth/password-reset/", api.PasswordResetView.as_view(), name="api-password-reset"),
    path("auth/password-reset/confirm/", api.PasswordResetConfirmView.as_view(), name="api-password-reset-confirm"),
    path("me/", api.MeView.as_view(), name="api-me"),
    path("me/profile/", api.MyProfileView.as_view(), name="api-my-profile"),
    path("me/consents/", api.MyConsentListView.as_view(), name="api-my-consents"),
    path("me/consents/grant/", api.ConsentGrantView.as_view(), name="api-consent-grant"),
    path("me/consents/revoke/", api.ConsentRevokeView.as_view(), name="api-consent-revoke"),
    path("partners/", api.PartnerListView.as_view(), name="api-partners"),
    path("partners/<slug:slug>/", api.PartnerDetailView.as_view(), name="api-partner"),
    path("partners/<slug:slug>/members/", api.PartnerMemberListView.as_view(), name="api-partner-members"),
    path("partners/<slug:slug>/api-keys/", api.ApiKeyListCreateView.as_view(), name="api-partner-keys"),
    path(
        "partners/<slug:slug>/api-keys/<int:key_id>/revoke/",
        api.ApiKeyRevokeView.as_view(),
        name="api-partner-key-revoke",
    ),
]
