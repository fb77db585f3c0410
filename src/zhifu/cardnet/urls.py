from django.urls import URLPattern, path

from zhifu.cardnet import views

urlpatterns: list[URLPattern] = [
    path("", views.home, name="home"),
]
