"""Django's stock validation messages, worded zhifu's way on the three sites.

Django translates its own messages from its own catalogues: «Обязательное поле.»,
«Убедитесь, что это значение больше либо равно 1.», «Введенные пароли не совпадают.» (without
the ё the rest of zhifu writes). Naming the msgids here puts them in zhifu.web's catalogue,
and zhifu.web is the first installed app, whose translation Django takes before its own: so
every form says them in the glossary's words (docs/glossary.md) without a form repeating
them. A form with a better message of its own (the cart's quantity) still sets it.
"""

from __future__ import annotations

from django.utils.translation import gettext_noop, ngettext_lazy

SINGLE = (
    gettext_noop("This field is required."),
    gettext_noop("Enter a whole number."),
    gettext_noop("Enter a valid email address."),
    gettext_noop("Ensure this value is greater than or equal to %(limit_value)s."),
    gettext_noop("Ensure this value is less than or equal to %(limit_value)s."),
    gettext_noop("Select a valid choice. %(value)s is not one of the available choices."),
    gettext_noop("The two password fields didn’t match."),  # noqa: RUF001 (Django's msgid)
    gettext_noop("This password is too common."),
    gettext_noop("This password is entirely numeric."),
    gettext_noop("The password is too similar to the %(verbose_name)s."),
)
PLURAL = (
    ngettext_lazy(
        "This password is too short. It must contain at least %d character.",
        "This password is too short. It must contain at least %d characters.",
        "min_length",
    ),
    ngettext_lazy(
        "Ensure this value has at least %(limit_value)d character (it has %(show_value)d).",
        "Ensure this value has at least %(limit_value)d characters (it has %(show_value)d).",
        "limit_value",
    ),
    ngettext_lazy(
        "Ensure this value has at most %(limit_value)d character (it has %(show_value)d).",
        "Ensure this value has at most %(limit_value)d characters (it has %(show_value)d).",
        "limit_value",
    ),
)
