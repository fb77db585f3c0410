"""The one error summary (web/_error_summary.html): links to fields, no tautology, none for a
form of one field."""

from __future__ import annotations

from django import forms
from django.template.loader import render_to_string

from zhifu.web.templatetags.form_errors import error_summary


class Two(forms.Form):
    pin = forms.CharField(label="Payment password", error_messages={"required": "Enter it."})
    pin_repeat = forms.CharField(
        label="Repeat payment password", error_messages={"required": "Repeat the payment password."}
    )
    answer_1 = forms.CharField(label="Answer 1", error_messages={"required": "Enter an answer."})
    answer_2 = forms.CharField(label="Answer 2", error_messages={"required": "Enter an answer."})


class One(forms.Form):
    pin = forms.CharField(label="Payment password", error_messages={"required": "Enter it."})


def test_each_error_links_to_its_field_and_labels_only_where_errors_repeat() -> None:
    form = Two({})
    lines = [(line.target, line.text) for line in error_summary(form)]
    assert lines == [
        ("id_pin", "Enter it."),
        ("id_pin_repeat", "Repeat the payment password."),  # not "Repeat …: Repeat …"
        ("id_answer_1", "Answer 1: Enter an answer."),
        ("id_answer_2", "Answer 2: Enter an answer."),
    ]
    html = render_to_string("web/_error_summary.html", {"form": form, "title": "Not saved."})
    assert '<a href="#id_pin_repeat">Repeat the payment password.</a>' in html
    assert "Not saved." in html
    assert 'role="alert"' in html


def test_a_form_of_one_field_gets_no_summary_but_a_form_wide_error_does() -> None:
    form = One({})
    assert error_summary(form) == []
    assert "error-summary" not in render_to_string("web/_error_summary.html", {"form": form})
    form = One({"pin": "1"})
    assert form.is_valid()
    form.add_error(None, "Your wallet is frozen.")
    assert [line.text for line in error_summary(form)] == ["Your wallet is frozen."]
    assert error_summary(Two()) == []  # unbound: nothing to say
