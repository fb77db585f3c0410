from django.urls import URLPattern, path

from zhifu.cardnet import api, views

urlpatterns: list[URLPattern] = [
    path("", views.home, name="home"),
    path("api/v1/verifications", api.verifications, name="api-verifications"),
    path("api/v1/authorizations", api.authorizations, name="api-authorizations"),
    path(
        "api/v1/authorizations/<str:authorization_id>/captures",
        api.captures,
        name="api-captures",
    ),
    path("api/v1/authorizations/<str:authorization_id>/void", api.void, name="api-void"),
    path("api/v1/authorizations/<str:authorization_id>/refunds", api.refunds, name="api-refunds"),
    # <path:>: a key may hold "/" (sent percent-encoded, decoded before routing).
    path("api/v1/operations/<path:key>", api.operation, name="api-operation"),
    path("challenge/<str:token>/", views.challenge_page, name="challenge"),
]
