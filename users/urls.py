from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from users import views
from users.forms import EmailAuthenticationForm

app_name = "users"

urlpatterns = [
    path("accounts/register/", views.register, name="register"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(template_name="users/login.html", authentication_form=EmailAuthenticationForm),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password-reset/",
        auth_views.PasswordResetView.as_view(
            template_name="users/password_reset.html",
            email_template_name="users/email/password_reset_email.txt",
            subject_template_name="users/email/password_reset_subject.txt",
            success_url=reverse_lazy("users:password-reset-done"),
        ),
        name="password-reset",
    ),
    path(
        "accounts/password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="users/password_reset_done.html"),
        name="password-reset-done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="users/password_reset_confirm.html",
            success_url=reverse_lazy("users:password-reset-complete"),
        ),
        name="password-reset-confirm",
    ),
    path(
        "accounts/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(template_name="users/password_reset_complete.html"),
        name="password-reset-complete",
    ),
    path("accounts/profile/", views.profile_edit, name="profile"),
    path("accounts/consents/", views.consent_list, name="consents"),
    path("accounts/consents/grant/", views.consent_grant, name="consent-grant"),
    path("accounts/consents/<int:consent_id>/revoke/", views.consent_revoke, name="consent-revoke"),
    path("partner/", views.portal_index, name="portal"),
    path("partner/<slug:slug>/", views.portal_partner, name="portal-partner"),
    path("partner/<slug:slug>/api-keys/", views.portal_key_create, name="portal-key-create"),
    path("partner/<slug:slug>/api-keys/<int:key_id>/revoke/", views.portal_key_revoke, name="portal-key-revoke"),
]
