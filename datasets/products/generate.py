"""The seeded generator of ``listings.jsonl``: invented product listings, messy the way scraped listings are.

    python datasets/products/generate.py          # rewrites listings.jsonl, byte for byte the same (seed 2031)
    python datasets/products/generate.py --check  # fails if listings.jsonl is not what this script writes

Every listing is invented: the brands, the products and the prices come from the tables below, not from any
shop. A clean listing's price is a product of factors that its text states (see ``price_of``) times a random
factor exp(N(0, NOISE_SIGMA)) that no text explains; then mess is added (duplicates, missing and absurd prices,
HTML, unit noise, padded and empty descriptions). The data card (README.md) gives the counts.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
from pathlib import Path

SEED = 2031
N_CLEAN = 2300  # distinct products before duplicates are added
NOISE_SIGMA = 0.12  # the log-price noise no text explains: the floor under any model's error
OUT = Path(__file__).with_name("listings.jsonl")

# How often each category occurs (uneven on purpose) and its invented brands with their price tiers.
CATEGORIES = {
    "Electronics": 0.34, "Appliances": 0.26, "Home": 0.19, "Automotive": 0.13, "Garden": 0.08,
}
BRAND_TIERS = [("budget", 0.65), ("value", 0.85), ("standard", 1.0), ("plus", 1.2), ("premium", 1.6),
               ("luxe", 2.2)]
BRANDS = {
    "Electronics": ["Voltrix", "Sonareo", "Pixelon", "Cablemoor", "Auralyn", "Quantiva"],
    "Appliances": ["Kettleby", "Brewford", "Hearthline", "Crispo", "Vaporel", "Maison Alder"],
    "Home": ["Nestwell", "Oakhollow", "Linenly", "Lumora", "Stowe & Co", "Atelier Brann"],
    "Automotive": ["Roadbit", "Gearlane", "Torqwell", "Drivemate", "Axleton", "Veloce Nord"],
    "Garden": ["Greenpatch", "Hedgerow", "Sprigg", "Loamworks", "Verdania", "Orchard Vale"],
}
# product type: (base price in dollars, optional features with their price factors,
#                numeric spec: (name, unit, values, reference value, exponent))
PRODUCTS = {
    "Electronics": {
        "wireless headphones": (55, {"active noise cancelling": 1.7, "foldable": 1.05, "carry case": 1.1},
                                ("battery life", "h", [20, 30, 40, 60], 30, 0.5)),
        "bluetooth speaker": (40, {"waterproof": 1.3, "party lights": 1.15},
                              ("output", "W", [10, 20, 40, 80], 20, 0.6)),
        "computer monitor": (160, {"4K resolution": 1.8, "height-adjustable stand": 1.2, "USB-C input": 1.15},
                             ("screen size", "inch", [22, 24, 27, 32, 34], 24, 1.6)),
        "mechanical keyboard": (70, {"hot-swappable switches": 1.3, "wireless": 1.35, "RGB backlight": 1.1},
                                ("keys", "keys", [60, 75, 87, 104], 87, 0.3)),
        "power bank": (25, {"fast charging": 1.25, "wireless charging pad": 1.3},
                       ("capacity", "mAh", [5000, 10000, 20000, 26800], 10000, 0.6)),
        "webcam": (45, {"autofocus": 1.25, "built-in ring light": 1.2},
                   ("resolution", "p", [720, 1080, 1440, 2160], 1080, 0.9)),
        "smart watch": (120, {"GPS": 1.35, "ECG sensor": 1.5, "titanium case": 1.7},
                        ("display", "mm", [38, 41, 44, 47], 41, 0.8)),
    },
    "Appliances": {
        "electric kettle": (30, {"temperature control": 1.5, "glass body": 1.15, "keep-warm": 1.1},
                            ("capacity", "L", [1.0, 1.2, 1.5, 1.7], 1.5, 0.5)),
        "toaster": (35, {"defrost setting": 1.05, "extra-wide slots": 1.15},
                    ("slots", "slot", [2, 4], 2, 0.7)),
        "blender": (50, {"vacuum blending": 1.6, "heating element": 1.5, "tamper included": 1.05},
                    ("power", "W", [500, 800, 1200, 1500], 800, 0.8)),
        "microwave oven": (110, {"grill": 1.25, "inverter technology": 1.3},
                           ("capacity", "L", [20, 25, 30, 42], 25, 0.9)),
        "robot vacuum": (230, {"mopping pad": 1.3, "self-emptying dock": 1.8, "lidar mapping": 1.4},
                         ("suction", "Pa", [2000, 3000, 5000, 8000], 3000, 0.5)),
        "air fryer": (75, {"dual basket": 1.45, "window": 1.1},
                      ("capacity", "L", [3.5, 5.5, 7.5, 9.0], 5.5, 0.6)),
        "espresso machine": (260, {"milk frother": 1.2, "built-in grinder": 1.9, "dual boiler": 2.2},
                             ("pressure", "bar", [9, 15, 19], 15, 0.4)),
        "dehumidifier": (170, {"laundry mode": 1.1, "app control": 1.2},
                         ("extraction", "L/day", [10, 12, 20, 30], 12, 0.9)),
    },
    "Home": {
        "desk lamp": (30, {"dimmable": 1.2, "wireless charging base": 1.4},
                      ("brightness", "lm", [300, 500, 800, 1200], 500, 0.4)),
        "office chair": (160, {"lumbar support": 1.2, "mesh back": 1.15, "adjustable armrests": 1.1},
                         ("weight rating", "kg", [100, 120, 150], 120, 0.8)),
        "bookshelf": (85, {"solid oak": 2.0, "glass doors": 1.4},
                      ("shelves", "shelf", [3, 4, 5, 6], 5, 0.8)),
        "bed sheet set": (45, {"organic cotton": 1.5, "deep pocket": 1.1},
                          ("thread count", "TC", [200, 300, 400, 600], 300, 0.7)),
        "cookware set": (95, {"stainless steel": 1.4, "induction ready": 1.15},
                         ("pieces", "piece", [5, 8, 10, 14], 8, 0.6)),
        "storage boxes": (20, {"lids included": 1.1, "stackable": 1.05},
                          ("pack", "box", [3, 6, 10, 12], 6, 0.8)),
    },
    "Automotive": {
        "dash cam": (70, {"rear camera": 1.5, "night vision": 1.25, "GPS logger": 1.15},
                     ("resolution", "p", [1080, 1440, 2160], 1080, 0.9)),
        "tyre inflator": (40, {"digital gauge": 1.1, "auto shut-off": 1.15},
                          ("max pressure", "psi", [100, 120, 150], 120, 0.6)),
        "jump starter": (80, {"air compressor": 1.4, "USB power outlet": 1.1},
                         ("peak current", "A", [1000, 1500, 2000, 3000], 1500, 0.7)),
        "wiper blades": (18, {"silicone edge": 1.3},
                         ("length", "inch", [16, 20, 24, 26], 22, 0.5)),
        "car vacuum": (45, {"cordless": 1.35, "HEPA filter": 1.2},
                       ("suction", "Pa", [4000, 6000, 8000], 6000, 0.6)),
        "seat covers": (55, {"leatherette": 1.6, "heated": 2.0},
                        ("pieces", "piece", [2, 4, 9], 4, 0.6)),
    },
    "Garden": {
        "garden hose": (30, {"expandable": 1.2, "brass fittings": 1.25},
                        ("length", "m", [10, 15, 25, 30], 15, 0.7)),
        "pruning shears": (25, {"ratchet action": 1.3, "forged blades": 1.5},
                           ("cut capacity", "mm", [20, 25, 30], 25, 0.6)),
        "lawn mower": (220, {"self-propelled": 1.5, "mulching": 1.1, "battery powered": 1.3},
                       ("cutting width", "cm", [33, 37, 42, 46, 53], 42, 1.2)),
        "solar path lights": (28, {"colour changing": 1.2, "motion sensor": 1.25},
                              ("pack", "light", [4, 6, 8, 12], 6, 0.8)),
        "watering can": (15, {"brass rose": 1.4, "galvanised steel": 1.6},
                         ("capacity", "L", [5, 7, 10], 7, 0.6)),
    },
}
FILLER = [
    "Designed for everyday use.", "A practical choice for most homes.", "Easy to clean and maintain.",
    "Ships in recyclable packaging.", "Backed by a friendly support team.", "Simple to set up out of the box.",
    "Finished in a matte colour that suits any room.", "Customers love its clean, simple look.",
]
BOILERPLATE = (
    "SHIPPING & RETURNS: Orders placed before 2 pm ship the same working day. Returns are accepted within 30 days "
    "of delivery in the original packaging. Refunds are issued to the original payment method within 5 to 10 "
    "working days. Please keep your receipt. Our customer care team answers every message within one working day. "
    "All product images are for illustration only; colours may vary slightly from the pictures. "
)


def price_of(category: str, ptype: str, tier: float, features: list[str], spec_value: float) -> float:
    """The noise-free price: base × brand tier × feature factors × (spec / reference) ** exponent."""
    base, feats, (_, _, _, ref, exponent) = PRODUCTS[category][ptype]
    return base * tier * math.prod(feats[f] for f in features) * (spec_value / ref) ** exponent


def spec_text(value: float, unit: str, rng: random.Random) -> str:
    """A spec as scraped listings write it: "1500 W", "1500W", "1,500 watts", "1.5 kW" for the same thing."""
    shown = f"{value:g}"
    if unit == "W" and value >= 1000 and rng.random() < 0.3:
        return f"{value / 1000:g} kW"
    if value >= 1000 and rng.random() < 0.4:
        shown = f"{value:,.0f}"
    if unit in ("inch",) and rng.random() < 0.5:
        return f'{shown}"'
    words = {"W": "watts", "L": "litres", "h": "hours", "m": "metres", "mm": "millimetres", "kg": "kg"}
    if unit in words and rng.random() < 0.25:
        return f"{shown} {words[unit]}"
    if unit in ("slot", "shelf", "piece", "box", "light", "keys"):
        plural = {"slot": "slots", "shelf": "shelves", "piece": "pieces", "box": "boxes", "light": "lights"}
        return f"{shown} {plural.get(unit, unit)}"
    return f"{shown}{unit}" if rng.random() < 0.4 else f"{shown} {unit}"


def clean_listing(rng: random.Random) -> dict:
    category = rng.choices(list(CATEGORIES), weights=list(CATEGORIES.values()))[0]
    ptype = rng.choice(sorted(PRODUCTS[category]))
    brand_index = rng.randrange(len(BRANDS[category]))
    brand, tier = BRANDS[category][brand_index], BRAND_TIERS[brand_index][1]
    _, feats, (spec_name, unit, values, _, _) = PRODUCTS[category][ptype]
    features = sorted(f for f in feats if rng.random() < 0.4)
    value = rng.choice(values)
    clean = price_of(category, ptype, tier, features, value)
    price = round(clean * math.exp(rng.gauss(0.0, NOISE_SIGMA)), 2)
    spec = spec_text(value, unit, rng)
    title = f"{brand} {ptype.title()} {spec}" + (f" with {features[0].title()}" if features else "")
    counted = unit in ("slot", "shelf", "piece", "box", "light", "keys")
    sentences = [f"The {brand} {ptype} has {spec}." if counted else f"The {brand} {ptype} has a {spec_name} of {spec}."]
    sentences += [f"It comes with {f}." if rng.random() < 0.5 else f"Features {f}." for f in features]
    sentences += rng.sample(FILLER, rng.randint(1, 3))
    rng.shuffle(sentences)
    return {"title": title, "category": category, "description": " ".join(sentences), "price": price,
            "noise_free_price": round(clean, 2)}


def add_html(text: str, rng: random.Random) -> str:
    parts = text.split(". ")
    if rng.random() < 0.5:
        return "<p>" + ".</p><p>".join(parts) + "</p>"
    return "<ul>" + "".join(f"<li>{p.rstrip('.')}</li>" for p in parts) + "</ul>&nbsp;<br/>"


def generate(seed: int = SEED) -> list[dict]:
    rng = random.Random(seed)
    rows = [clean_listing(rng) for _ in range(N_CLEAN)]
    for row in rows:
        row["mess"] = []
        roll = rng.random()
        if roll < 0.08:
            row["description"] = add_html(row["description"], rng)
            row["mess"].append("html")
        elif roll < 0.12:
            row["description"] = " ".join([row["description"]] + [BOILERPLATE] * rng.randint(4, 9))
            row["mess"].append("long")
        elif roll < 0.16:
            row["description"] = rng.choice(["", "See title.", row["title"], "Brand new."])
            row["mess"].append("short")
        roll = rng.random()
        if roll < 0.025:
            row["price"] = None
            row["mess"].append("no price")
        elif roll < 0.04:
            row["price"] = 0.0
            row["mess"].append("zero price")
        elif roll < 0.05:
            row["price"] = round(row["price"] * 100, 2) if rng.random() < 0.6 else 0.01
            row["mess"].append("absurd price")
    extra = []
    for row in rng.sample(rows, int(0.03 * N_CLEAN)):  # exact duplicates
        extra.append({**row, "mess": row["mess"] + ["exact duplicate"]})
    for row in rng.sample(rows, int(0.04 * N_CLEAN)):  # near-duplicates: the same product listed again
        twin = dict(row)
        twin["title"] = rng.choice([row["title"].upper(), "NEW! " + row["title"], row["title"].replace(" ", "  ", 2),
                                    row["title"] + " - Free Shipping"])
        if twin["price"]:
            twin["price"] = round(twin["price"] * rng.choice([0.99, 1.0, 1.01]), 2)
        twin["mess"] = row["mess"] + ["near duplicate"]
        extra.append(twin)
    for twin in extra:
        rows.insert(rng.randrange(len(rows) + 1), twin)
    for n, row in enumerate(rows, start=1):
        row["id"] = f"p{n:05d}"
    keys = ["id", "title", "category", "description", "price", "noise_free_price", "mess"]
    return [{k: row[k] for k in keys} for row in rows]


def render(rows: list[dict]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if listings.jsonl differs from what is generated")
    args = parser.parse_args()
    text = render(generate())
    if args.check:
        if not OUT.is_file() or OUT.read_text(encoding="utf-8") != text:
            sys.exit(f"{OUT.name} is not what generate.py writes: run `python {Path(__file__).as_posix()}`")
        print(f"{OUT.name}: identical to the generator's output")
        return
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {text.count(chr(10))} listings to {OUT.name}")


if __name__ == "__main__":
    main()
