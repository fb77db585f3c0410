"""The wording of the security questions in the buyer's language (keys in domain.py)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrPromise

from zhifu.credentials.domain import QUESTION_KEYS

QUESTIONS: dict[str, StrPromise] = {
    "first_pet": _("What was the name of your first pet?"),
    "mother_maiden_name": _("What is your mother's maiden name?"),
    "birth_city": _("In which city were you born?"),
    "first_school": _("What was the name or number of your first school?"),
    "childhood_friend": _("What is the name of your childhood best friend?"),
    "first_teacher": _("What was the surname of your first teacher?"),
    "favourite_book": _("What is your favourite book?"),
    "childhood_street": _("On which street did you live as a child?"),
    "first_car": _("What was the make of your first car?"),
    "first_job": _("Where did you have your first job?"),
    "favourite_dish": _("What is your favourite dish?"),
    "parents_met_city": _("In which city did your parents meet?"),
}
assert tuple(QUESTIONS) == QUESTION_KEYS
