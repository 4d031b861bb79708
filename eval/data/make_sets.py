"""Write the shipped sample sets deterministically: ``python eval/data/make_sets.py`` (from the repository root).

* ``ecommerce.jsonl`` — 22 product-search queries x 10 candidates, graded 0-3 by hand (see README.md).
* ``passages.csv`` — 8 web-search questions x 6 passages, graded 0-2, one question with no answer in its pool.
* ``shapes/shapes.jsonl`` + ``shapes/img/*.png`` — 6 queries x 6 image candidates, with PIL-drawn 48x48 images.

The labels below are the source of truth; the candidate order in the files is a seeded shuffle per query (so the
"input order" baseline behaves like an unsorted first-stage retriever, not like the labels).
"""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent

# --- e-commerce catalog: product id -> title and short description -------------------------------------------------
PRODUCTS: dict[str, str] = {
    # shoes
    "p001": "Nike Pegasus 41 men's road running shoe, university red, breathable mesh upper, ReactX foam",
    "p002": "Adidas Ultraboost Light running shoe in scarlet red, Boost midsole, Primeknit upper",
    "p003": "Brooks Ghost 16 neutral road running shoe, black/grey, DNA Loft cushioning",
    "p004": "ASICS Gel-Venture 9 unisex trail running shoe, blue, rugged outsole for dirt paths",
    "p005": "Converse Chuck Taylor All Star high-top canvas sneakers, red",
    "p006": "Men's red patent leather oxford dress shoes for weddings and parties",
    "p007": "Running socks, red, cushioned anti-blister, 3-pack",
    "p008": "Men's red running shorts with liner and zip pocket, 5 inch",
    "p009": "Women's red suede ballet flats, foldable",
    "p010": "Shoe cleaning kit: brush, foam cleaner and microfiber cloth for sneakers",
    "p011": "Salomon Speedcross 6 GTX women's trail running shoe, Gore-Tex waterproof, aggressive grip",
    "p012": "Hoka Clifton 9 women's road running shoe, lightweight and cushioned",
    "p013": "Merrell Moab 3 women's waterproof hiking boot, mid cut, Vibram sole",
    "p014": "Women's waterproof rubber rain boots, tall, glossy black",
    "p015": "Saucony Peregrine 14 men's trail running shoe, not waterproof, mesh upper",
    "p016": "Gaiters for trail running, keep stones and mud out of your shoes",
    "p017": "Men's brown leather oxford dress shoes, Goodyear welted, cap toe",
    "p018": "Men's brown leather penny loafers, slip-on dress shoes",
    "p019": "Brown leather dress belt for men, 35 mm, silver buckle",
    "p020": "Brown shoe polish and conditioning cream for leather shoes",
    "p021": "Men's brown suede Chelsea boots, elastic side panels",
    # audio
    "p030": "Sony WH-1000XM5 wireless noise cancelling over-ear headphones, 30 h battery",
    "p031": "Bose QuietComfort Ultra wireless noise cancelling headphones, spatial audio",
    "p032": "Apple AirPods Pro 2 wireless earbuds with active noise cancellation and USB-C case",
    "p033": "Audio-Technica ATH-M50x wired studio monitor headphones (no noise cancelling)",
    "p034": "Foam ear plugs for sleeping and noise reduction, 60 pairs",
    "p035": "Wooden headphone stand for desks",
    "p036": "JBL Flip 6 portable Bluetooth speaker, IP67 waterproof and dustproof, 12 h playtime",
    "p037": "Kids' wireless headphones with 85 dB volume limit and passive noise isolation",
    "p038": "Replacement ear pads for Sony WH-1000XM4 headphones",
    "p039": "USB condenser microphone with noise cancelling for podcasts and streaming",
    "p040": "Sweatproof sport wireless earbuds with ear hooks for running and gym, IPX7",
    "p041": "Shokz OpenRun bone conduction open-ear headphones for runners, sweat resistant",
    "p042": "Wired in-ear earphones with microphone, 3.5 mm jack",
    "p043": "Running armband phone holder, adjustable, fits 6.7 inch phones",
    "p044": "Silicone protective cover for AirPods Pro case",
    "p045": "Anker Soundcore Motion 300 portable Bluetooth speaker, IPX7 waterproof",
    "p046": "Smart speaker with voice assistant, for indoor use, plug-in power",
    "p047": "Waterproof dry bag for phones and speakers, 10 L, for kayaking",
    "p048": "Bookshelf stereo speakers, wired, pair",
    # kitchen
    "p050": "Breville Barista Express espresso machine with built-in conical burr grinder and steam wand",
    "p051": "De'Longhi Dedica manual espresso machine, 15 bar pump, slim design",
    "p052": "Nespresso Vertuo capsule coffee and espresso machine",
    "p053": "Programmable 12-cup drip coffee maker with glass carafe",
    "p054": "Baratza Encore conical burr coffee grinder, 40 grind settings",
    "p055": "Set of 6 porcelain espresso cups with saucers",
    "p056": "Electric milk frother and steamer for lattes and cappuccino",
    "p057": "Bialetti Moka Express stovetop espresso maker, 6 cups, aluminium",
    "p058": "Dark roast whole bean coffee, 1 kg bag, espresso blend",
    "p059": "Descaling solution for coffee and espresso machines",
    "p060": "Krups electric blade coffee grinder, 85 g capacity",
    "p061": "Hario Skerton manual hand coffee grinder with ceramic burrs",
    "p062": "Electric spice grinder with removable stainless steel bowl",
    "p063": "Wooden pepper mill with adjustable ceramic grinder",
    "p064": "Lodge 12 inch pre-seasoned cast iron skillet with assist handle",
    "p065": "Lodge 10.25 inch pre-seasoned cast iron skillet",
    "p066": "Enamelled cast iron Dutch oven, 5.5 quart, cherry red",
    "p067": "Nonstick aluminium frying pan, 12 inch, induction compatible",
    "p068": "Stainless steel chainmail scrubber for cleaning cast iron",
    "p069": "Silicone hot handle holder for cast iron skillets",
    "p070": "Cast iron and wood garden bench, 2-seater, antique finish",
    "p071": "Blue ceramic teapot with stainless steel infuser, 1 litre",
    "p072": "White ceramic teapot, 800 ml, classic shape",
    "p073": "Blue glass teapot with borosilicate infuser, stovetop safe",
    "p074": "Electric kettle, 1.7 L, matte blue, auto shut-off",
    "p075": "Set of 4 blue ceramic coffee mugs, 350 ml",
    "p076": "Knitted tea cosy for teapots, wool, grey",
    "p077": "Blue ceramic flower vase, glazed, 25 cm",
    "p078": "Loose leaf Earl Grey tea, 250 g tin",
    # tech
    "p080": "Apple MacBook Pro 16 inch, M3 Max chip, 36 GB RAM, 1 TB SSD, Liquid Retina XDR display",
    "p081": "Dell XPS 15 laptop, Intel Core i9, NVIDIA RTX 4070, 32 GB RAM, 4K OLED display",
    "p082": "Chromebook 11.6 inch, 4 GB RAM, 32 GB eMMC, for school",
    "p083": "Gaming laptop 15.6 inch, NVIDIA RTX 4060, 16 GB RAM, 144 Hz display",
    "p084": "Samsung T7 portable external SSD, 2 TB, USB 3.2",
    "p085": "Aluminium laptop stand, adjustable height",
    "p086": "Adobe Premiere Pro video editing software, 12-month licence",
    "p087": "27 inch 4K UHD IPS monitor, 99% sRGB, USB-C 65W power delivery",
    "p088": "Neoprene laptop sleeve, 16 inch",
    "p089": "13 inch ultrabook, Intel Core i5, integrated graphics, 8 GB RAM",
    "p090": "Clear MagSafe case for iPhone 15, anti-yellowing, 6.1 inch",
    "p091": "Silicone case for iPhone 15 Pro, 6.1 inch, midnight",
    "p092": "Leather wallet case for iPhone 15 Pro Max, 6.7 inch",
    "p093": "Samsung Galaxy S24 protective case, rugged, black",
    "p094": "Tempered glass screen protector for iPhone 15, 2-pack",
    "p095": "Apple iPhone 15, 128 GB, blue",
    "p096": "MagSafe wireless charger, 15 W, for iPhone",
    "p097": "Anker 65W GaN USB-C charger, 3 ports, foldable plug",
    "p098": "Apple 96W USB-C power adapter",
    "p099": "20W USB-C fast charger for phones",
    "p100": "USB-C to USB-C braided cable, 2 m, 100 W",
    "p101": "Power bank 20,000 mAh with 65W USB-C power delivery",
    "p102": "Universal 65W laptop charger with 8 barrel tips (not USB-C)",
    "p103": "USB-A wall charger, 12 W, single port",
    "p104": "LG 27 inch 4K UHD monitor with HDR10 and USB-C",
    "p105": "32 inch 4K monitor, VA panel, 60 Hz",
    "p106": "27 inch 1440p QHD gaming monitor, 165 Hz",
    "p107": "Dual monitor arm, gas spring, fits 17-32 inch screens",
    "p108": "HDMI 2.1 cable, 2 m, supports 4K at 120 Hz",
    "p109": "24 inch 1080p office monitor",
    # home and office
    "p110": "Electric standing desk, dual motor, 160 x 80 cm top, memory presets",
    "p111": "Standing desk converter that sits on your desk, gas spring lift",
    "p112": "Ergonomic office chair with lumbar support and adjustable armrests, mesh back",
    "p113": "Anti-fatigue standing desk mat, 90 x 50 cm",
    "p114": "LED desk lamp with wireless charging pad",
    "p115": "Fixed-height wooden writing desk, 120 cm",
    "p116": "Gaming chair with footrest and headrest pillow, PU leather",
    "p117": "Kneeling chair for better posture, wooden frame",
    "p118": "Office chair replacement caster wheels, set of 5",
    "p119": "Seat cushion memory foam for office chairs",
    # outdoors
    "p120": "Ultralight 2-person backpacking tent, 1.3 kg, freestanding, 3-season",
    "p121": "4-person family camping tent with screened porch, 9 kg",
    "p122": "1-person bivy tent, 900 g, for solo backpacking",
    "p123": "Down sleeping bag rated to -10 C, 800 fill power, mummy shape",
    "p124": "Tent footprint groundsheet for 2-person tents",
    "p125": "Backpacking stove, canister, 80 g",
    "p126": "Summer sleeping bag rated to +15 C, synthetic, rectangular",
    "p127": "Inflatable sleeping pad, R-value 4.5, for cold weather camping",
    "p128": "Synthetic 4-season sleeping bag rated to -18 C",
    "p129": "Hydro Flask 32 oz insulated stainless steel water bottle, wide mouth",
    "p130": "BPA-free plastic sports water bottle, 750 ml",
    "p131": "Insulated stainless steel tumbler with lid, 20 oz",
    "p132": "Thermos insulated food jar, 470 ml",
    "p133": "Collapsible silicone water bottle for hiking",
    "p134": "Water filter bottle for backpacking, removes bacteria",
    # kids, pets, beauty
    "p140": "LEGO Technic Monster Jam truck building set, ages 7+, 260 pieces",
    "p141": "LEGO Duplo My First Town set, ages 18 months+",
    "p142": "LEGO City fire station set, ages 6+, 540 pieces",
    "p143": "Wooden building blocks, 100 pieces, ages 3+",
    "p144": "LEGO-compatible storage box with baseplate lid",
    "p145": "Orthopedic memory foam dog bed for large dogs, 120 x 80 cm, washable cover",
    "p146": "Small cat bed, round, plush, 45 cm",
    "p147": "Elevated cooling dog cot for large breeds",
    "p148": "Large dog crate, 42 inch, double door",
    "p149": "Chew toy for large dogs, durable rubber",
    "p150": "Mineral sunscreen SPF 50 for face, fragrance free, for sensitive skin",
    "p151": "Sport sunscreen lotion SPF 50 for body, 300 ml, water resistant",
    "p152": "Daily face moisturiser with SPF 30",
    "p153": "After-sun aloe vera gel",
    "p154": "Tinted sunscreen SPF 50+ for face, lightweight fluid",
    "p155": "Face cleanser foaming gel, 150 ml",
}

# qid, query, [(product id, label)] — 3 exact / 2 close substitute / 1 related or accessory / 0 not relevant.
# Hard negatives (label 0 despite shared words) are marked "HN" in comments.
QUERIES: list[tuple[str, str, list[tuple[str, int]]]] = [
    ("shoes-01", "red running shoes", [
        ("p001", 3), ("p002", 3), ("p003", 2), ("p004", 2), ("p005", 1),
        ("p006", 0),  # HN: red leather dress shoes
        ("p007", 1), ("p008", 0),  # HN: red running shorts
        ("p009", 0), ("p010", 0),
    ]),
    ("shoes-02", "women's waterproof trail running shoes", [
        ("p011", 3), ("p004", 2), ("p015", 2), ("p013", 1), ("p012", 1), ("p001", 1),
        ("p014", 0),  # HN: women's waterproof rain boots
        ("p016", 1), ("p007", 0), ("p009", 0),
    ]),
    ("shoes-03", "men's brown leather dress shoes", [
        ("p017", 3), ("p018", 3), ("p006", 2), ("p021", 1), ("p020", 1),
        ("p019", 0),  # HN: brown leather belt
        ("p005", 0), ("p010", 0), ("p009", 0), ("p003", 0),
    ]),
    ("audio-01", "noise cancelling headphones", [
        ("p030", 3), ("p031", 3), ("p032", 2), ("p033", 1), ("p037", 1), ("p038", 1),
        ("p034", 0),  # HN: foam ear plugs for noise reduction
        ("p039", 0),  # HN: noise cancelling microphone
        ("p035", 0), ("p036", 0),
    ]),
    ("audio-02", "wireless earbuds for running", [
        ("p040", 3), ("p041", 2), ("p032", 2), ("p030", 1), ("p043", 1), ("p042", 1),
        ("p044", 0), ("p007", 0),
        ("p008", 0),  # HN: running shorts
        ("p036", 0),
    ]),
    ("audio-03", "portable waterproof bluetooth speaker", [
        ("p036", 3), ("p045", 3), ("p046", 1), ("p048", 1),
        ("p047", 0),  # HN: waterproof dry bag for speakers
        ("p030", 0), ("p032", 0), ("p014", 0), ("p101", 0), ("p035", 0),
    ]),
    ("kitchen-01", "espresso machine", [
        ("p050", 3), ("p051", 3), ("p052", 2), ("p057", 2), ("p053", 1), ("p054", 1), ("p056", 1),
        ("p055", 0),  # HN: espresso cups
        ("p059", 0), ("p058", 0),
    ]),
    ("kitchen-02", "coffee grinder", [
        ("p054", 3), ("p060", 3), ("p061", 3), ("p050", 2), ("p062", 1),
        ("p063", 0),  # HN: pepper mill "grinder"
        ("p058", 0), ("p053", 0), ("p055", 0), ("p059", 0),
    ]),
    ("kitchen-03", "12 inch cast iron skillet", [
        ("p064", 3), ("p065", 2), ("p066", 1), ("p067", 1), ("p068", 1), ("p069", 1),
        ("p070", 0),  # HN: cast iron garden bench
        ("p074", 0), ("p072", 0), ("p057", 0),
    ]),
    ("kitchen-04", "blue ceramic teapot", [
        ("p071", 3), ("p072", 2), ("p073", 2), ("p074", 1), ("p076", 1),
        ("p075", 0),  # HN: blue ceramic mugs
        ("p077", 0),  # HN: blue ceramic vase
        ("p078", 0), ("p066", 0), ("p055", 0),
    ]),
    ("tech-01", "laptop for video editing", [
        ("p080", 3), ("p081", 3), ("p083", 2), ("p089", 1), ("p084", 1), ("p086", 1), ("p087", 1),
        ("p082", 0),  # HN: a laptop, but far too weak
        ("p085", 0), ("p088", 0),
    ]),
    ("tech-02", "iphone 15 case", [
        ("p090", 3), ("p091", 1), ("p092", 1), ("p094", 1), ("p096", 1),
        ("p093", 0),  # HN: a phone case for another phone
        ("p095", 0),  # HN: the phone itself
        ("p044", 0), ("p043", 0), ("p088", 0),
    ]),
    ("tech-03", "65w usb-c charger", [
        ("p097", 3), ("p098", 2), ("p101", 2), ("p099", 1), ("p100", 1),
        ("p102", 0),  # HN: 65W, but barrel plugs
        ("p103", 0), ("p096", 0), ("p087", 0), ("p084", 0),
    ]),
    ("tech-04", "27 inch 4k monitor", [
        ("p087", 3), ("p104", 3), ("p105", 2), ("p106", 1), ("p109", 1), ("p107", 1), ("p108", 1),
        ("p080", 0), ("p085", 0), ("p081", 0),
    ]),
    ("home-01", "standing desk", [
        ("p110", 3), ("p111", 2), ("p113", 1), ("p115", 1), ("p107", 1), ("p112", 1),
        ("p114", 0), ("p085", 0), ("p117", 0), ("p118", 0),
    ]),
    ("home-02", "ergonomic office chair", [
        ("p112", 3), ("p116", 2), ("p117", 2), ("p119", 1), ("p118", 1), ("p110", 1),
        ("p113", 0), ("p115", 0), ("p114", 0),
        ("p070", 0),  # HN: a (garden) seat
    ]),
    ("outdoor-01", "2 person backpacking tent", [
        ("p120", 3), ("p122", 1), ("p121", 1), ("p124", 1), ("p125", 1), ("p127", 1),
        ("p123", 0), ("p134", 0), ("p133", 0), ("p126", 0),
    ]),
    ("outdoor-02", "sleeping bag for cold weather", [
        ("p123", 3), ("p128", 3), ("p127", 1), ("p120", 1),
        ("p126", 1),  # a sleeping bag, but rated for summer
        ("p125", 0), ("p132", 0), ("p124", 0), ("p121", 0), ("p146", 0),
    ]),
    ("outdoor-03", "insulated water bottle", [
        ("p129", 3), ("p131", 2), ("p132", 1), ("p130", 1), ("p133", 1), ("p134", 1),
        ("p047", 0), ("p074", 0), ("p075", 0), ("p125", 0),
    ]),
    ("kids-01", "lego set for an 8 year old", [
        ("p140", 3), ("p142", 3), ("p141", 1), ("p143", 1), ("p144", 1),
        ("p037", 0), ("p082", 0), ("p149", 0), ("p146", 0), ("p078", 0),
    ]),
    ("pets-01", "bed for a large dog", [
        ("p145", 3), ("p147", 2), ("p148", 1), ("p149", 1),
        ("p146", 0),  # HN: a pet bed, but small and for cats
        ("p123", 0), ("p127", 0), ("p119", 0), ("p113", 0), ("p121", 0),
    ]),
    ("beauty-01", "spf 50 sunscreen for face", [
        ("p150", 3), ("p154", 3), ("p151", 1), ("p152", 1), ("p153", 1), ("p155", 0),
        ("p078", 0), ("p130", 0), ("p019", 0), ("p076", 0),
    ]),
]

# --- web-search passages (CSV) -------------------------------------------------------------------------------------
PASSAGES: dict[str, str] = {
    "w01": "Water boils at 100 degrees Celsius (212 degrees Fahrenheit) at sea level; at higher altitude the boiling point is lower because air pressure is lower.",
    "w02": "At the top of Mount Everest water boils at about 70 degrees Celsius, which is why cooking takes longer at altitude.",
    "w03": "Celsius and Fahrenheit are temperature scales; to convert, multiply by 9/5 and add 32.",
    "w04": "A pressure cooker raises the boiling point of water to about 120 C, cooking food faster.",
    "w05": "Photosynthesis converts light energy, water and carbon dioxide into glucose and oxygen in the chloroplasts of plant cells.",
    "w06": "Chlorophyll is the green pigment that absorbs red and blue light for photosynthesis.",
    "w07": "Plants need sunlight, water and nutrients from the soil to grow.",
    "w08": "Cellular respiration breaks glucose down to release energy, the reverse of photosynthesis.",
    "w09": "The Eiffel Tower is 330 metres tall including its antennas and was completed in 1889 for the World's Fair.",
    "w10": "The Eiffel Tower is in Paris on the Champ de Mars and was designed by Gustave Eiffel's company.",
    "w11": "Paris is the capital of France and is known for its museums, including the Louvre.",
    "w12": "The Statue of Liberty is 93 metres tall from the ground to the tip of the torch.",
    "w13": "To reset a forgotten Windows password, use the 'I forgot my password' link on the sign-in screen with a Microsoft account.",
    "w14": "Local Windows accounts can be reset with the security questions set up when the account was created.",
    "w15": "Strong passwords use at least 12 characters mixing letters, numbers and symbols.",
    "w16": "To change your password in Windows, press Ctrl+Alt+Del and choose Change a password.",
    "w17": "Sourdough starter is a mix of flour and water fermented by wild yeast and lactic acid bacteria; feed it daily.",
    "w18": "To make a starter, mix equal weights of flour and water, then discard half and feed it every 24 hours for about a week.",
    "w19": "Instant yeast can be mixed directly into dry ingredients and does not need proofing.",
    "w20": "Bread flour has more protein than all-purpose flour, giving chewier bread.",
    "w21": "The speed of light in vacuum is exactly 299,792,458 metres per second.",
    "w22": "Light travels slower in water and glass than in vacuum; the ratio is the refractive index.",
    "w23": "Sound travels at about 343 metres per second in air at 20 C.",
    "w24": "A light-year is the distance light travels in one year, about 9.46 trillion kilometres.",
    "w25": "Python lists are ordered, mutable sequences; use append() to add an item at the end.",
    "w26": "To sort a list in Python use sorted(items) for a new list or items.sort() to sort in place; pass reverse=True for descending order.",
    "w27": "Python dictionaries map keys to values and keep insertion order since Python 3.7.",
    "w28": "The pandas sort_values method sorts a DataFrame by one or more columns.",
    # For the unanswerable question: related-sounding passages, none of which gives the 1923 figure.
    "w29": "The Great Wall of China is more than 21,000 kilometres long, according to a 2012 survey.",
    "w30": "Tourists visit the Great Wall mostly at Badaling and Mutianyu near Beijing.",
}

WEB_QUERIES: list[tuple[str, str, list[tuple[str, int]]]] = [
    ("web-01", "at what temperature does water boil", [("w01", 2), ("w02", 1), ("w04", 1), ("w03", 0), ("w23", 0), ("w07", 0)]),
    ("web-02", "how does photosynthesis work", [("w05", 2), ("w06", 1), ("w08", 1), ("w07", 0), ("w20", 0), ("w22", 0)]),
    ("web-03", "how tall is the eiffel tower", [("w09", 2), ("w10", 1), ("w12", 0), ("w11", 0), ("w24", 0), ("w29", 0)]),
    ("web-04", "reset forgotten windows password", [("w13", 2), ("w14", 2), ("w16", 1), ("w15", 0), ("w25", 0), ("w27", 0)]),
    ("web-05", "how to make a sourdough starter", [("w18", 2), ("w17", 1), ("w19", 0), ("w20", 0), ("w05", 0), ("w01", 0)]),
    ("web-06", "speed of light in m/s", [("w21", 2), ("w22", 1), ("w24", 1), ("w23", 0), ("w06", 0), ("w09", 0)]),
    ("web-07", "python sort list descending", [("w26", 2), ("w28", 1), ("w25", 1), ("w27", 0), ("w16", 0), ("w15", 0)]),
    # No passage answers this one: it scores 0 on every metric and counts in the means (trec_eval's convention).
    ("web-08", "how many visitors did the great wall have in 1923", [("w29", 0), ("w30", 0), ("w11", 0), ("w10", 0), ("w12", 0), ("w24", 0)]),
]

# --- shapes: PIL-drawn images ----------------------------------------------------------------------------------------
COLORS = {"red": (220, 30, 30), "green": (30, 160, 60), "blue": (30, 70, 220), "yellow": (240, 200, 20)}
SHAPES = ("circle", "square", "triangle")
SHAPE_QUERIES: list[tuple[str, dict, str, list[str]]] = [
    # qid, query, the image the query asks for, candidate image names
    ("shape-01", {"text": "a red circle"}, "red-circle",
     ["red-circle", "blue-circle", "red-square", "green-triangle", "yellow-circle", "red-triangle"]),
    ("shape-02", {"text": "a blue square"}, "blue-square",
     ["blue-square", "red-square", "blue-circle", "yellow-square", "green-circle", "blue-triangle"]),
    ("shape-03", {"text": "a green triangle"}, "green-triangle",
     ["green-triangle", "red-triangle", "green-square", "blue-circle", "yellow-triangle", "green-circle"]),
    ("shape-04", {"text": "a yellow circle"}, "yellow-circle",
     ["yellow-circle", "red-circle", "yellow-square", "blue-square", "green-circle", "yellow-triangle"]),
    ("shape-05", {"text": "the same shape and colour as this picture", "image": "img/red-square.png"}, "red-square",
     ["red-square", "blue-square", "red-circle", "green-triangle", "yellow-square", "red-triangle"]),
    ("shape-06", {"image": "img/blue-triangle.png"}, "blue-triangle",
     ["blue-triangle", "green-triangle", "blue-square", "red-circle", "yellow-triangle", "blue-circle"]),
]


def shape_label(query_name: str, doc_name: str) -> int:
    """2 = same shape and colour, 1 = same shape (other colour), 0 otherwise."""
    q_color, q_shape = query_name.split("-")
    d_color, d_shape = doc_name.split("-")
    if q_shape == d_shape:
        return 2 if q_color == d_color else 1
    return 0


def draw_shape(color: str, shape: str, size: int = 48):
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (size, size), (255, 255, 255))
    draw = ImageDraw.Draw(img)
    pad = size // 8
    box = (pad, pad, size - pad, size - pad)
    if shape == "circle":
        draw.ellipse(box, fill=COLORS[color])
    elif shape == "square":
        draw.rectangle(box, fill=COLORS[color])
    else:
        draw.polygon([(size // 2, pad), (size - pad, size - pad), (pad, size - pad)], fill=COLORS[color])
    return img


def _shuffled(qid: str, items: list) -> list:
    items = list(items)
    random.Random(f"lychee-eval-{qid}").shuffle(items)  # str seeds are hashed with sha512: stable across runs
    return items


def write_ecommerce(path: Path) -> None:
    lines = []
    for qid, query, cands in QUERIES:
        if len(cands) != 10 or len({p for p, _ in cands}) != 10:
            raise ValueError(f"{qid}: expected 10 distinct candidates, got {[p for p, _ in cands]}.")
        lines.append(
            json.dumps(
                {
                    "qid": qid,
                    "query": {"text": query},
                    "candidates": [{"docid": p, "text": PRODUCTS[p], "label": lab} for p, lab in _shuffled(qid, cands)],
                },
                ensure_ascii=False,
            )
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_passages(path: Path) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["qid", "query", "docid", "document", "label"])
        for qid, query, cands in WEB_QUERIES:
            for docid, label in _shuffled(qid, cands):
                writer.writerow([qid, query, docid, PASSAGES[docid], label])


def write_shapes(folder: Path) -> None:
    (folder / "img").mkdir(parents=True, exist_ok=True)
    for color in COLORS:
        for shape in SHAPES:
            draw_shape(color, shape).save(folder / "img" / f"{color}-{shape}.png", optimize=True)
    lines = []
    for qid, query, target, names in SHAPE_QUERIES:
        candidates = [
            {"docid": name, "image": f"img/{name}.png", "label": shape_label(target, name)} for name in _shuffled(qid, names)
        ]
        # Half of the candidates carry a neutral caption, so the set mixes image-only and image+text documents
        # without giving the answer away in text.
        for cand in candidates[::2]:
            cand["text"] = "product photo"
        lines.append(json.dumps({"qid": qid, "query": query, "candidates": candidates}))
    (folder / "shapes.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    write_ecommerce(HERE / "ecommerce.jsonl")
    write_passages(HERE / "passages.csv")
    write_shapes(HERE / "shapes")


if __name__ == "__main__":
    main()
