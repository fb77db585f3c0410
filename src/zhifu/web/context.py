from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.templatetags.static import static
from django.utils.translation import gettext_lazy as _

from zhifu.config.site import config

SITE_NAMES = {
    "wallet": _("zhifu wallet"),
    "marketplace": _("zhifu shop"),
    "cardnet": _("cardnet simulator"),
}
# The template every page of the site extends; the shared pages (error pages, the demo
# mailbox) extend it too, so they keep the site's header, menu and styles.
LAYOUTS = {
    "wallet": "accounts/wallet_base.html",
    "marketplace": "marketplace/base.html",
    "cardnet": "zhifu/base.html",
}


def site(request: HttpRequest) -> dict[str, Any]:
    cfg = config()
    return {
        "zhifu_site": cfg.site,
        "zhifu_site_name": SITE_NAMES[cfg.site],
        "zhifu_layout": LAYOUTS[cfg.site],
        "zhifu_urls": cfg.urls,
        "zhifu_demo": cfg.demo,
        "zhifu_shop_platform": cfg.env.shop_platform_slug,
        # The header's logo and the favicon; a shop may have its own (marketplace.branding).
        "zhifu_logo": static("zhifu/icon.svg"),
    }
