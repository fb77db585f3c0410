from django.urls import URLPattern, path

from zhifu.marketplace import views

urlpatterns: list[URLPattern] = [
    path("", views.home, name="home"),
]
