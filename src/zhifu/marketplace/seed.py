# ruff: noqa: RUF001 - the catalogue is written in Russian too
"""Demo data for the shop, safe to run on every start (nothing is created twice).

Runs on every `zhifu demo` start: the catalogue is brought to the listed state and the
wallet's OIDC client is registered again with today's redirect URI and secret (ports and
generated secrets may differ between runs).
"""

from __future__ import annotations

from dataclasses import dataclass

from zhifu.config.site import config
from zhifu.marketplace.models import Buyer, Product

DEMO_BUYER_EMAIL = "buyer@zhifu.localhost"
DEMO_BUYER_PASSWORD = "lantern-cobalt-42"  # noqa: S105 - published demo credential
# The shop's staff login: refunds paid orders at /staff/orders/.
DEMO_STAFF_EMAIL = "staff@zhifu.localhost"
DEMO_STAFF_PASSWORD = "ledger-amber-73"  # noqa: S105 - published demo credential  # pragma: allowlist secret


@dataclass(frozen=True)
class Item:
    slug: str
    name_en: str
    name_ru: str
    description_en: str
    description_ru: str
    price_minor: int
    currency: str


CATALOGUE: tuple[Item, ...] = (
    Item("paper-lantern", "Red paper lantern", "Красный бумажный фонарь",
         "A folding silk-paper lantern, 40 cm across, with a warm LED light inside.",
         "Складной фонарь из шёлковой бумаги, 40 см в диаметре, с тёплой светодиодной лампой.",
         4900, "CNY"),
    Item("porcelain-teapot", "Blue-and-white porcelain teapot",
         "Фарфоровый чайник с синей росписью",
         "Hand-painted porcelain from Jingdezhen, 600\u00a0ml, with a fine steel strainer.",
         "Фарфор из Цзиндэчжэня с ручной росписью, 600\u00a0мл, с тонким стальным ситечком.",
         12800, "CNY"),
    Item("silk-scarf", "Silk scarf", "Шёлковый платок",
         "A light 90 × 90 cm mulberry-silk scarf in deep violet.",
         "Лёгкий платок из шёлка тутового шелкопряда, 90 × 90 см, глубокого фиолетового цвета.",
         3490, "EUR"),
    Item("wireless-earbuds", "Wireless earbuds", "Беспроводные наушники",
         "Bluetooth 5.3 earbuds with a charging case: 6 hours of music, 24 with the case.",
         "Наушники Bluetooth 5.3 с зарядным футляром: 6 часов музыки, 24 — с футляром.",
         2999, "USD"),
    Item("travel-backpack", "Travel backpack", "Дорожный рюкзак",
         "A 28-litre water-resistant backpack with a padded laptop sleeve.",
         "Водоотталкивающий рюкзак на 28 литров с мягким отделением для ноутбука.",
         4550, "USD"),
    Item("ceramic-mug", "Ceramic mug", "Керамическая кружка",
         "A 350\u00a0ml stoneware mug, glazed in terracotta, safe in the dishwasher.",
         "Кружка из каменной керамики на 350\u00a0мл, терракотовая глазурь, "
         "можно мыть в посудомойке.",
         89000, "RUB"),
    Item("succulent-pot", "Succulent in a clay pot", "Суккулент в глиняном горшке",
         "An easy houseplant that forgives a forgotten watering or two.",
         "Неприхотливое комнатное растение, которое простит пару забытых поливов.",
         45000, "RUB"),
    Item("wrist-watch", "Wrist watch", "Наручные часы",
         "A quartz watch with a brass case and a navy leather strap.",
         "Кварцевые часы в латунном корпусе на тёмно-синем кожаном ремешке.",
         6800, "JPY"),
    Item("running-shoes", "Running shoes", "Кроссовки для бега",
         "Light road-running shoes with a cushioned sole. Sizes 36 to 46.",
         "Лёгкие кроссовки для бега по асфальту с амортизирующей подошвой. Размеры с 36 по 46.",
         5499, "GBP"),
    Item("dot-grid-notebook", "Dot-grid notebook", "Блокнот в точку",
         "A5, 160 pages of 100 g/m² paper, lay-flat binding and a ribbon marker.",
         "Формат A5, 160 страниц бумаги 100 г/м², раскрывается плашмя, с закладкой-ляссе.",
         390000, "KZT"),
    Item("desk-lamp", "Desk lamp", "Настольная лампа",
         "An adjustable steel desk lamp with a warm-white LED bulb.",
         "Регулируемая стальная настольная лампа со светодиодной лампой тёплого света.",
         18990, "BRL"),
    Item("dragon-kite", "Dragon kite", "Воздушный змей «Дракон»",
         "A ripstop-nylon kite, 1.2 m tall, with 50 m of line on a reel.",
         "Змей из нейлона рипстоп высотой 1,2 м, с катушкой и 50 м лески.",
         25000, "KRW"),
)  # fmt: skip


def seed_catalogue() -> int:
    for position, item in enumerate(CATALOGUE):
        Product.objects.update_or_create(
            slug=item.slug,
            defaults={
                "name_en": item.name_en,
                "name_ru": item.name_ru,
                "description_en": item.description_en,
                "description_ru": item.description_ru,
                "price_minor": item.price_minor,
                "currency": item.currency,
                "image": f"marketplace/products/{item.slug}.svg",
                "position": position,
                "is_active": True,
            },
        )
    return len(CATALOGUE)


def register_wallet_client() -> str:
    """Register (or refresh) the wallet as a confidential OIDC client of this shop.

    The secret is stored hashed (DOT's default, hash_client_secret=True); the wallet
    presents the plain value from its own copy of the oidc_client_secret secret.
    """
    from oauth2_provider.models import get_application_model

    application_model = get_application_model()
    cfg = config()
    client_id = cfg.env.oidc_client_id  # each shop of the demo its own (ZHIFU_OIDC_CLIENT_ID)
    redirect_uri = f"{cfg.urls['wallet']}/oidc/callback/"
    app = application_model.objects.filter(client_id=client_id).first()
    if app is None:
        app = application_model(client_id=client_id)
    app.name = "zhifu wallet"
    app.client_type = application_model.CLIENT_CONFIDENTIAL
    app.authorization_grant_type = application_model.GRANT_AUTHORIZATION_CODE
    app.algorithm = application_model.RS256_ALGORITHM
    app.redirect_uris = redirect_uri
    app.post_logout_redirect_uris = f"{cfg.urls['wallet']}/"
    app.skip_authorization = True  # first-party client: no consent screen
    app.hash_client_secret = True
    app.client_secret = cfg.secret("oidc_client_secret").reveal()
    app.save()
    return redirect_uri


def seed() -> list[str]:
    buyer, created = Buyer.objects.get_or_create(
        email=DEMO_BUYER_EMAIL, defaults={"name": "Demo Buyer", "locale": "en"}
    )
    if created:
        buyer.set_password(DEMO_BUYER_PASSWORD)
        buyer.save(update_fields=["password"])
    staff, created = Buyer.objects.get_or_create(
        email=DEMO_STAFF_EMAIL, defaults={"name": "Shop Staff", "locale": "en", "is_staff": True}
    )
    if created:
        staff.set_password(DEMO_STAFF_PASSWORD)
        staff.save(update_fields=["password"])
    products = seed_catalogue()
    redirect_uri = register_wallet_client()
    return [
        f"shop buyer: {DEMO_BUYER_EMAIL} / {DEMO_BUYER_PASSWORD}",
        f"shop staff (refunds at /staff/orders/): {DEMO_STAFF_EMAIL} / {DEMO_STAFF_PASSWORD}",
        f"shop catalogue: {products} products",
        f"shop OIDC client: {config().env.oidc_client_id} -> {redirect_uri}",
    ]
