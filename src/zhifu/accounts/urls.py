from django.urls import URLPattern, path

from zhifu.accounts import views

urlpatterns: list[URLPattern] = [
    path("", views.home, name="home"),
]
