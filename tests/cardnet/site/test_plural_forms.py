"""Django, not just gettext, picks the Russian plural form cardnet's catalogues hold."""

from django.apps import apps

from tests.harness.plurals import django_mismatches, plural_messages


def test_cardnet_renders_each_plural_message_in_its_russian_form() -> None:
    installed = {config.name.rpartition(".")[2] for config in apps.get_app_configs()}
    assert plural_messages(installed)  # cardnet has plural messages to check
    assert django_mismatches(installed) == []
