"""The provider's endpoints, mounted at /o/ (only what relying parties need).

DOT's application-management pages and device flow are deliberately not mounted: clients
are registered by the operator (see docs/marketplace.md), never by buyers.
"""

from django.urls import URLPattern, path, re_path
from oauth2_provider import views

from zhifu.marketplace.oidc import DiscoveryView, ShopLogoutView

app_name = "oauth2_provider"

urlpatterns: list[URLPattern] = [
    path("authorize/", views.AuthorizationView.as_view(), name="authorize"),
    path("token/", views.TokenView.as_view(), name="token"),
    path("revoke_token/", views.RevokeTokenView.as_view(), name="revoke-token"),
    re_path(
        r"^\.well-known/openid-configuration/?$",
        DiscoveryView.as_view(),
        name="oidc-connect-discovery-info",
    ),
    path(".well-known/jwks.json", views.JwksInfoView.as_view(), name="jwks-info"),
    path("userinfo/", views.UserInfoView.as_view(), name="user-info"),
    path("logout/", ShopLogoutView.as_view(), name="rp-initiated-logout"),
]
