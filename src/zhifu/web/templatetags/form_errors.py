"""The error summary the three sites share (``web/_error_summary.html``).

Each field's error links to its field. The field's label goes before the error only where
two fields have the same error ("Answer 2: Enter an answer."): elsewhere the error says
which field it is about, and "Repeat payment password: Repeat the payment password." would
say it twice.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django import forms, template

register = template.Library()


@dataclass(frozen=True)
class SummaryLine:
    target: str  # the field's id, "" for a form-wide error
    text: str


@register.filter
def error_summary(form: forms.BaseForm) -> list[SummaryLine]:
    """The summary's lines, form-wide errors first; none for a form of one field whose
    only errors stand beside that field."""
    lines = [SummaryLine("", str(e)) for e in form.non_field_errors()]
    fields = [f for f in form if f.errors]
    if len(form.visible_fields()) < 2 and not lines:
        return []
    counts = Counter(str(e) for f in fields for e in f.errors)
    for field in fields:
        for error in map(str, field.errors):
            text = f"{field.label}: {error}" if counts[error] > 1 else error
            lines.append(SummaryLine(field.id_for_label or "", text))
    return lines
