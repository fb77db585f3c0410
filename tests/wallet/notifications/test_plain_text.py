"""The text part derived from an e-mail's HTML (zhifu.web.emails.plain_text)."""

from __future__ import annotations

from zhifu.web.emails import plain_text


def test_paragraphs_buttons_and_links_are_written_out() -> None:
    html = """<html><head><title>Subject</title><style>p{}</style></head><body>
    <table><tr><td data-html-only><b>Header</b> <span>name</span></td></tr>
    <tr><td><p>Hello,</p>
    <p>Open   this
       link:</p>
    <p><a class="button" href="https://w.example/x?a=1&amp;b=2">Confirm</a></p>
    <p>Write to <a href="mailto:s@w.example">s@w.example</a> or
    <a href="https://w.example/help">our help</a>.<br>Thanks &amp; bye</p>
    </td></tr></table></body></html>"""
    assert plain_text(html) == (
        "Hello,\n\nOpen this link:\n\nConfirm:\nhttps://w.example/x?a=1&b=2\n\n"
        "Write to s@w.example or our help (https://w.example/help).\nThanks & bye\n"
    )


def test_markup_in_the_text_is_data_not_tags() -> None:
    assert plain_text("<p>&lt;script&gt;x&lt;/script&gt;</p>") == "<script>x</script>\n"


def test_a_link_whose_text_is_its_address_is_written_once() -> None:
    assert plain_text('<p><a href="https://a.example/">https://a.example/</a></p>') == (
        "https://a.example/\n"
    )
