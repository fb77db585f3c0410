"""The shop's own look: its name, accent colour and logo (docs/marketplace.md "Branding").

One code base runs as several shops (the demo's second shop is this code with other
settings, never a fork): ``ZHIFU_SHOP_NAME`` (and ``ZHIFU_SHOP_NAME_RU`` for Russian),
``ZHIFU_SHOP_ACCENT`` (``#rrggbb``, at least 4.5:1 on white, checked when the settings are
read) and ``ZHIFU_SHOP_LOGO`` (a static file shipped with zhifu). Unset, the shop is the
"zhifu shop" in Pico's blue with zhifu's icon.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.templatetags.static import static
from django.utils.translation import get_language, pgettext_lazy

from zhifu.config.site import config

# Its own context: the shared site kit translates "zhifu shop" for the middle of a sentence.
DEFAULT_NAME = pgettext_lazy("shop name", "zhifu shop")
DEFAULT_LOGO = "zhifu/icon.svg"


def name() -> str:
    """The shop's name in the active language."""
    env = config().env
    language = (get_language() or "en").split("-")[0]
    if language == "ru" and env.shop_name_ru:
        return env.shop_name_ru
    return env.shop_name or str(DEFAULT_NAME)


def logo() -> str:
    """The static path of the logo in the header (and the favicon)."""
    return config().env.shop_logo or DEFAULT_LOGO


def accent() -> str | None:
    """The accent colour ``#rrggbb``, or None for Pico's own."""
    return config().env.shop_accent


def theme_css(colour: str) -> str:
    """Pico's primary colour set to ``colour``; hover and focus shades are mixed from it by
    the browser (``color-mix``), so one setting gives the whole palette."""
    darker = f"color-mix(in srgb, {colour} 82%, black)"
    faint = f"color-mix(in srgb, {colour} 50%, transparent)"
    return (
        "/* The shop's accent (ZHIFU_SHOP_ACCENT). */\n"
        ":root:not([data-theme=dark]), [data-theme=light] {\n"
        f"  --pico-primary: {colour};\n"
        f"  --pico-primary-background: {colour};\n"
        f"  --pico-primary-border: {colour};\n"
        f"  --pico-primary-underline: {faint};\n"
        f"  --pico-primary-hover: {darker};\n"
        f"  --pico-primary-hover-background: {darker};\n"
        f"  --pico-primary-hover-border: {darker};\n"
        f"  --pico-primary-hover-underline: {darker};\n"
        f"  --pico-primary-focus: {faint};\n"
        "  --pico-primary-inverse: #fff;\n"
        "}\n"
    )


def context(request: HttpRequest) -> dict[str, Any]:
    """Template context of every shop page: after ``zhifu.web.context.site``, so the
    shop's name replaces the generic site name in the header and the title."""
    return {
        "zhifu_site_name": name(),
        "shop_named": bool(config().env.shop_name),  # else the first shop's own wording
        "zhifu_logo": static(logo()),
        "shop_accent": accent(),
    }
