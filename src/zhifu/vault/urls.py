from django.urls import URLPattern, path

from zhifu.vault import views

app_name = "cards"

urlpatterns: list[URLPattern] = [
    path("", views.card_list, name="list"),
    path("add/", views.add_card, name="add"),
    path("summary/", views.card_summary, name="summary"),
    path("challenge/<str:card_id>/", views.challenge_return, name="challenge"),
    path("<str:card_id>/default/", views.make_default, name="make-default"),
    path("<str:card_id>/delete/", views.delete_card, name="delete"),
]
