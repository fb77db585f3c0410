from django.urls import URLPattern, path

from zhifu.cardnet import api, views

urlpatterns: list[URLPattern] = [
    path("", views.home, name="home"),
    path("api/v1/verifications", api.verifications, name="api-verifications"),
    path("challenge/<str:token>/", views.challenge_page, name="challenge"),
]
