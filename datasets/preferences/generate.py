"""The seeded generator of ``pairs.jsonl``: preference pairs (prompt, chosen, rejected) written for the course.

    python datasets/preferences/generate.py          # rewrites pairs.jsonl, byte for byte the same (seed 707)
    python datasets/preferences/generate.py --check  # fails if pairs.jsonl is not what this script writes

Six kinds of prompt, each with a rule that decides, by code, whether an answer follows it
(``utils.preferences.follows``): the *chosen* answer follows the rule and the *rejected* one breaks it.

- ``one_word``   "... Answer with one word."                     chosen: one word
- ``number``     "... Answer with a number only."                chosen: only a number
- ``list``       "List three ... one line per item, '- ' first"  chosen: exactly three lines, each starting "- "
- ``sentence``   "In one sentence, ..."                          chosen: one sentence of at most 30 words
- ``grounded``   a context that holds the answer                 chosen: contains the context's answer, no refusal
- ``unknown``    a context that does not hold it                 chosen: "I don't know"

The facts in ``one_word`` and ``sentence`` are common knowledge; every context in ``grounded`` and ``unknown``
(places, people, numbers) is invented here, so no model can know it from pre-training. Each kind has four ways of
phrasing its instruction: the fourth is used only in the test split, so test prompts are new in wording as well as
in content. Items (a question, a category, a context) never cross splits.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

SEED = 707
OUT = Path(__file__).with_name("pairs.jsonl")
SHARES = {"train": 0.7, "validation": 0.15, "test": 0.15}
PER_KIND = 90

ONE_WORD_INSTRUCTIONS = ["Answer with one word.", "Reply with a single word.", "One word only, please.",
                         "Give just one word as your answer."]
NUMBER_INSTRUCTIONS = ["Answer with a number only.", "Reply with just the number.", "Give only the number.",
                       "Your answer should be a single number and nothing else."]
LIST_INSTRUCTIONS = ["Use one line per item, each starting with '- '.", "Write one item per line, each line starting with '- '.",
                     "Put each item on its own line beginning with '- '.",
                     "Format them as a dash list: one per line, each line starting with '- '."]
SENTENCE_INSTRUCTIONS = ["In one sentence, {q}", "Answer in a single sentence: {q}", "Briefly, in one sentence: {q}",
                         "Using exactly one sentence, answer this: {q}"]
CONTEXT_INSTRUCTIONS = ["Answer from the context only; if it does not say, answer \"I don't know\".",
                        "Use only the context above. If the answer is not there, say \"I don't know\".",
                        "Answer using the context alone, or reply \"I don't know\" if it is not given.",
                        "Rely only on the text above; when it does not contain the answer, answer \"I don't know\"."]

CAPITALS = {"France": "Paris", "Japan": "Tokyo", "Italy": "Rome", "Egypt": "Cairo", "Kenya": "Nairobi",
            "Peru": "Lima", "Norway": "Oslo", "Spain": "Madrid", "Greece": "Athens", "Russia": "Moscow",
            "Austria": "Vienna", "Portugal": "Lisbon", "Ireland": "Dublin", "Poland": "Warsaw",
            "Hungary": "Budapest", "Sweden": "Stockholm", "Finland": "Helsinki", "Denmark": "Copenhagen",
            "Cuba": "Havana", "Chile": "Santiago", "Thailand": "Bangkok", "Germany": "Berlin",
            "Belgium": "Brussels", "Argentina": "Buenos Aires", "Mexico": "Mexico City", "Turkey": "Ankara",
            "Iran": "Tehran", "Vietnam": "Hanoi", "Ghana": "Accra", "Canada": "Ottawa"}
OPPOSITES = {"hot": "cold", "tall": "short", "fast": "slow", "happy": "sad", "open": "closed", "heavy": "light",
             "early": "late", "full": "empty", "wet": "dry", "loud": "quiet", "hard": "soft", "young": "old",
             "rich": "poor", "strong": "weak", "thick": "thin", "clean": "dirty", "deep": "shallow",
             "brave": "cowardly", "sharp": "blunt", "up": "down", "inside": "outside", "win": "lose",
             "push": "pull", "buy": "sell", "begin": "end", "arrive": "leave", "remember": "forget",
             "accept": "refuse", "increase": "decrease", "ancient": "modern"}
WORD_FACTS = [("What colour is a ripe banana?", "Yellow", "A ripe banana is yellow."),
              ("What colour is the clear daytime sky?", "Blue", "The clear daytime sky is blue."),
              ("What colour is fresh grass?", "Green", "Fresh grass is green."),
              ("What colour is snow?", "White", "Snow is white."),
              ("What colour is coal?", "Black", "Coal is black."),
              ("Which animal says moo?", "Cow", "The animal that says moo is a cow."),
              ("Which animal is known as the king of the jungle?", "Lion", "The lion is known as the king of the jungle."),
              ("Which bird is a symbol of peace?", "Dove", "The dove is a symbol of peace."),
              ("Which insect makes honey?", "Bee", "Honey is made by bees."),
              ("What is the largest ocean on Earth?", "Pacific", "The largest ocean on Earth is the Pacific Ocean."),
              ("Which planet is known as the red planet?", "Mars", "The planet known as the red planet is Mars."),
              ("What is the closest star to Earth?", "Sun", "The closest star to Earth is the Sun."),
              ("What do bees collect from flowers?", "Nectar", "Bees collect nectar from flowers."),
              ("What is frozen water called?", "Ice", "Frozen water is called ice."),
              ("Which metal is liquid at room temperature?", "Mercury", "Mercury is the metal that is liquid at room temperature."),
              ("What gas do plants take in from the air?", "Carbon dioxide", "Plants take in carbon dioxide from the air."),
              ("Which season comes after winter?", "Spring", "The season after winter is spring."),
              ("Which day comes after Monday?", "Tuesday", "The day after Monday is Tuesday."),
              ("Which month has the fewest days?", "February", "The month with the fewest days is February."),
              ("What do you call a baby cat?", "Kitten", "A baby cat is called a kitten."),
              ("What do you call a baby dog?", "Puppy", "A baby dog is called a puppy."),
              ("What organ pumps blood through the body?", "Heart", "The heart pumps blood through the body."),
              ("Which instrument has 88 keys?", "Piano", "The instrument with 88 keys is the piano."),
              ("What is the main language spoken in Brazil?", "Portuguese", "The main language spoken in Brazil is Portuguese."),
              ("What is the hardest natural substance?", "Diamond", "The hardest natural substance is diamond."),
              ("Which shape has three sides?", "Triangle", "A shape with three sides is a triangle."),
              ("What falls from clouds when it rains?", "Water", "When it rains, water falls from the clouds."),
              ("Which animal has a trunk?", "Elephant", "The animal with a trunk is the elephant."),
              ("What do caterpillars turn into?", "Butterflies", "Caterpillars turn into butterflies."),
              ("Which fruit keeps the doctor away, in the saying?", "Apple", "In the saying, an apple a day keeps the doctor away.")]
ONE_WORD_REJECTS = ["{s}", "{s}", "Sure! {s}", "Great question. {s}"]

LIST_CATEGORIES = {
    "fruits": ["apple", "banana", "cherry", "mango", "pear", "plum"],
    "vegetables": ["carrot", "potato", "onion", "spinach", "pepper", "leek"],
    "colours of the rainbow": ["red", "orange", "yellow", "green", "blue", "violet"],
    "farm animals": ["cow", "sheep", "pig", "goat", "horse", "hen"],
    "sea animals": ["shark", "dolphin", "octopus", "whale", "crab", "squid"],
    "planets": ["Mercury", "Venus", "Mars", "Jupiter", "Saturn", "Neptune"],
    "musical instruments": ["guitar", "piano", "violin", "drum", "flute", "trumpet"],
    "kitchen tools": ["knife", "whisk", "ladle", "spatula", "grater", "peeler"],
    "sports played with a ball": ["football", "tennis", "basketball", "golf", "volleyball", "cricket"],
    "European countries": ["France", "Spain", "Italy", "Poland", "Greece", "Norway"],
    "things found in a classroom": ["desk", "chair", "whiteboard", "pencil", "notebook", "ruler"],
    "types of weather": ["rain", "snow", "fog", "wind", "hail", "sunshine"],
    "parts of a tree": ["root", "trunk", "branch", "leaf", "bark", "seed"],
    "means of transport": ["bus", "train", "bicycle", "car", "ship", "plane"],
    "breakfast foods": ["toast", "porridge", "eggs", "cereal", "pancakes", "yoghurt"],
    "birds": ["sparrow", "eagle", "owl", "robin", "parrot", "penguin"],
    "shapes": ["circle", "square", "triangle", "hexagon", "oval", "rectangle"],
    "body parts": ["hand", "knee", "elbow", "shoulder", "ankle", "wrist"],
    "things you can recycle": ["paper", "glass", "cans", "cardboard", "plastic bottles", "newspapers"],
    "hot drinks": ["tea", "coffee", "cocoa", "chai", "mulled cider", "herbal tea"],
    "garden flowers": ["rose", "tulip", "daisy", "lily", "sunflower", "daffodil"],
    "insects": ["ant", "bee", "beetle", "moth", "wasp", "ladybird"],
    "programming languages": ["Python", "Java", "Rust", "C", "Go", "Ruby"],
    "units of length": ["metre", "inch", "mile", "kilometre", "foot", "yard"],
    "board games": ["chess", "checkers", "Monopoly", "Scrabble", "backgammon", "Go"],
    "tools in a toolbox": ["hammer", "screwdriver", "wrench", "pliers", "saw", "tape measure"],
    "things at a beach": ["sand", "shells", "waves", "towels", "umbrellas", "seagulls"],
    "types of bread": ["baguette", "rye", "sourdough", "pitta", "brioche", "naan"],
    "mammals": ["dog", "bat", "whale", "mouse", "bear", "rabbit"],
    "metals": ["iron", "copper", "gold", "silver", "tin", "zinc"],
    "pieces of furniture": ["sofa", "table", "wardrobe", "bed", "bookcase", "stool"],
    "winter clothes": ["scarf", "gloves", "coat", "hat", "boots", "jumper"],
    "nuts": ["almond", "walnut", "hazelnut", "cashew", "pecan", "pistachio"],
    "jobs in a hospital": ["nurse", "surgeon", "porter", "pharmacist", "radiographer", "midwife"],
    "continents": ["Africa", "Asia", "Europe", "Antarctica", "Australia", "South America"],
    "herbs": ["basil", "parsley", "mint", "thyme", "rosemary", "sage"],
    "school subjects": ["maths", "history", "biology", "art", "music", "geography"],
    "things that fly": ["kite", "plane", "bird", "balloon", "drone", "bee"],
    "citrus fruits": ["lemon", "lime", "orange", "grapefruit", "mandarin", "kumquat"],
    "desserts": ["ice cream", "cake", "pie", "pudding", "mousse", "trifle"],
    "rivers": ["Nile", "Amazon", "Danube", "Thames", "Mississippi", "Ganges"],
    "card games": ["poker", "bridge", "snap", "rummy", "solitaire", "blackjack"],
    "dog breeds": ["beagle", "poodle", "collie", "terrier", "labrador", "dachshund"],
    "parts of a computer": ["keyboard", "mouse", "screen", "processor", "memory", "disk"],
    "things in a bathroom": ["towel", "soap", "mirror", "toothbrush", "sink", "bath"],
}

SENTENCE_FACTS = [
    ("what is a volcano?", "A volcano is an opening in the Earth's crust through which molten rock, ash and gas escape."),
    ("what does a thermometer measure?", "A thermometer measures temperature."),
    ("what is photosynthesis?", "Photosynthesis is how plants use sunlight to turn water and carbon dioxide into sugar and oxygen."),
    ("what is a noun?", "A noun is a word that names a person, place, thing or idea."),
    ("why is the sky blue?", "The sky looks blue because air scatters blue sunlight more than red sunlight."),
    ("what is gravity?", "Gravity is the force that pulls objects with mass towards each other."),
    ("what is a fraction?", "A fraction is a number that stands for part of a whole, such as one half."),
    ("what does a dictionary contain?", "A dictionary lists words with their meanings, spellings and pronunciations."),
    ("what is an island?", "An island is a piece of land surrounded by water."),
    ("what is a recipe?", "A recipe is a set of instructions for preparing a dish."),
    ("what is a calendar for?", "A calendar organises days, weeks and months so people can plan dates."),
    ("what is a desert?", "A desert is a region that receives very little rain."),
    ("what does a compass show?", "A compass shows which direction is north."),
    ("what is a library?", "A library is a place where books and other media are kept for people to borrow or read."),
    ("what is evaporation?", "Evaporation is when a liquid turns into a gas, as water does when it dries."),
    ("what is a vaccine?", "A vaccine trains the immune system to recognise and fight a particular disease."),
    ("what is an atom?", "An atom is the smallest unit of a chemical element."),
    ("what is a budget?", "A budget is a plan for how much money will be earned and spent."),
    ("what is a glacier?", "A glacier is a large, slow-moving mass of ice on land."),
    ("what is a metaphor?", "A metaphor describes something by calling it something else, such as 'time is a thief'."),
    ("what does a pharmacist do?", "A pharmacist prepares and dispenses medicines and advises people on using them."),
    ("what is the equator?", "The equator is an imaginary line around the middle of the Earth, halfway between the poles."),
    ("what is a password for?", "A password proves who you are so that only you can open an account."),
    ("what is a thunderstorm?", "A thunderstorm is a storm with lightning, thunder and usually heavy rain."),
    ("what is an orchestra?", "An orchestra is a large group of musicians playing string, wind, brass and percussion instruments together."),
    ("what is a map?", "A map is a drawing of an area that shows where places are."),
    ("what is recycling?", "Recycling turns used materials into new products instead of throwing them away."),
    ("what is a skeleton?", "A skeleton is the frame of bones that supports a body."),
    ("what is an election?", "An election is a vote in which people choose their representatives."),
    ("what is a telescope used for?", "A telescope is used to see distant objects, such as stars, more clearly."),
    ("what is a habit?", "A habit is something a person does regularly, often without thinking."),
    ("what is the moon?", "The Moon is the natural satellite that orbits the Earth."),
    ("what is a battery?", "A battery stores chemical energy and releases it as electricity."),
    ("what is a verb?", "A verb is a word that describes an action or a state, such as 'run' or 'be'."),
    ("what is a museum?", "A museum is a building where objects of historical, scientific or artistic interest are displayed."),
    ("what is erosion?", "Erosion is the wearing away of rock or soil by wind, water or ice."),
    ("what is a rainbow?", "A rainbow is an arc of colours formed when sunlight is split by raindrops."),
    ("what is a spreadsheet?", "A spreadsheet is a grid of cells for organising and calculating numbers."),
    ("what is a fossil?", "A fossil is the preserved remains or trace of an ancient living thing."),
    ("what is a harbour?", "A harbour is a sheltered area of water where ships can dock safely."),
    ("what does a dentist do?", "A dentist looks after people's teeth and gums."),
    ("what is a poem?", "A poem is a piece of writing that uses rhythm and imagery to express ideas or feelings."),
    ("what is an earthquake?", "An earthquake is a sudden shaking of the ground caused by movement in the Earth's crust."),
    ("what is a currency?", "A currency is the system of money a country uses."),
    ("what is a microscope for?", "A microscope makes very small things look big enough to see."),
    ("what is a tide?", "A tide is the regular rise and fall of the sea caused by the Moon's pull."),
    ("what is a mammal?", "A mammal is a warm-blooded animal that feeds its young with milk."),
    ("what is an email?", "An email is a message sent electronically from one computer user to another."),
    ("what is friction?", "Friction is the force that resists two surfaces sliding against each other."),
    ("what is a forest?", "A forest is a large area covered mostly with trees."),
    ("what is a referee?", "A referee is the official who enforces the rules during a game."),
    ("what is a chef?", "A chef is a professional cook, usually in a restaurant."),
    ("what is a bridge for?", "A bridge carries a road, path or railway across an obstacle such as a river."),
    ("what is a virus?", "A virus is a tiny infectious agent that can only multiply inside living cells."),
    ("what is democracy?", "Democracy is a system of government in which citizens choose their leaders by voting."),
    ("what is a comet?", "A comet is a ball of ice and dust that grows a glowing tail near the Sun."),
    ("what is a lighthouse?", "A lighthouse is a tower with a bright light that guides ships at sea."),
    ("what is a synonym?", "A synonym is a word that means the same as another word."),
    ("what is a marathon?", "A marathon is a running race of about 42 kilometres."),
    ("what is an allergy?", "An allergy is the immune system reacting badly to something usually harmless, such as pollen."),
    ("what is inflation?", "Inflation is the general rise in prices over time."),
    ("what is a canal?", "A canal is a waterway built by people for boats or irrigation."),
    ("what is a passport?", "A passport is an official document that lets its holder travel between countries."),
    ("what is a seed?", "A seed is the part of a plant that can grow into a new plant."),
    ("what is a haiku?", "A haiku is a short Japanese poem of three lines with five, seven and five syllables."),
    ("what is a kilogram?", "A kilogram is a unit of mass equal to one thousand grams."),
    ("what is the internet?", "The internet is a worldwide network that connects computers so they can share information."),
    ("what is a thesaurus?", "A thesaurus is a book that lists words with similar meanings."),
    ("what is a nest?", "A nest is a structure an animal, usually a bird, builds to lay eggs and raise young."),
    ("what is a sculpture?", "A sculpture is a work of art made by shaping materials such as stone, wood or metal."),
    ("what is a planet?", "A planet is a large body that orbits a star and has cleared its path of other objects."),
    ("what is a keyboard?", "A keyboard is a set of keys used to type into a computer or play an instrument."),
    ("what is a reservoir?", "A reservoir is a lake, often artificial, used to store water."),
    ("what is composting?", "Composting turns food scraps and garden waste into soil-enriching material."),
    ("what is a cactus?", "A cactus is a spiny plant that stores water and grows in dry places."),
    ("what is a jury?", "A jury is a group of citizens who decide the verdict in a trial."),
    ("what is a satellite?", "A satellite is an object that orbits a planet, such as the Moon or a weather satellite."),
    ("what is a lullaby?", "A lullaby is a gentle song sung to help a child fall asleep."),
    ("what is an ingredient?", "An ingredient is one of the foods or substances combined to make a dish."),
    ("what is a calorie?", "A calorie is a unit that measures the energy in food."),
    ("what is a hurricane?", "A hurricane is a powerful tropical storm with very strong winds."),
    ("what is a translator?", "A translator turns text from one language into another."),
    ("what is a puzzle?", "A puzzle is a game or problem that tests ingenuity or knowledge."),
    ("what is a valley?", "A valley is a low area of land between hills or mountains."),
    ("what is a shadow?", "A shadow is the dark shape made when an object blocks light."),
    ("what is a symphony?", "A symphony is a long piece of music for an orchestra, usually in several movements."),
    ("what is a pension?", "A pension is money paid regularly to a person after they retire."),
    ("what is a continent?", "A continent is one of the Earth's seven large land masses."),
    ("what is a password manager?", "A password manager stores your passwords securely so you only need to remember one."),
]
RAMBLE = ["This is a really interesting question that many people have wondered about.",
          "There are many different ways to think about it, and experts do not always agree.",
          "It has a long and fascinating history that goes back a very long time.",
          "I hope this helps you understand the topic a little better!",
          "Of course, there is much more that could be said about this.",
          "Let me know if you would like me to explain any part of it in more detail.",
          "In conclusion, it is an important idea that is worth learning about.",
          "Many books and websites cover this subject in great depth."]

# Invented places and people for the contexts (any resemblance to a real one is coincidental).
SYLLABLES = ["lar", "mi", "ton", "ves", "ka", "dor", "bri", "sel", "quin", "ra", "mo", "lek", "fen", "ta", "gru",
             "zo", "pel", "wyn", "os", "tir"]
PLACES = ["bakery", "library", "museum", "swimming pool", "bookshop", "bridge", "theatre", "community garden",
          "bike shop", "observatory", "ferry", "cinema", "market", "school", "clinic", "café"]
FIELDS = {  # question, how the context states it, how an answer states it, a wrong answer's generator
    "opened": ("When did the {place} open?", "It opened in {v}.", "It opened in {v}.", "year"),
    "manager": ("Who runs the {place}?", "It is run by {v}.", "It is run by {v}.", "person"),
    "staff": ("How many people work at the {place}?", "{v} people work there.", "{v} people work there.", "count"),
    "hours": ("What time does the {place} open in the morning?", "It opens at {v} every morning.",
              "It opens at {v}.", "time"),
    "street": ("On which street is the {place}?", "It stands on {v}.", "It is on {v}.", "street"),
    "price": ("How much is a ticket to the {place}?", "A ticket costs {v}.", "A ticket costs {v}.", "money"),
    "colour": ("What colour is the door of the {place}?", "Its door is painted {v}.", "The door is {v}.", "colour"),
}
COLOURS = ["red", "blue", "green", "yellow", "orange", "purple", "white", "black", "grey", "teal"]
STREET_KINDS = ["Street", "Lane", "Road", "Avenue", "Row"]
REFUSAL = "I don't know."


def word(rng: random.Random, n: int = 2) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(n)).capitalize()


def value(rng: random.Random, kind: str) -> str:
    if kind == "year":
        return str(rng.randint(1890, 2021))
    if kind == "person":
        return f"{word(rng)} {word(rng, 3)}"
    if kind == "count":
        return str(rng.randint(3, 60))
    if kind == "time":
        return f"{rng.randint(6, 10)}:{rng.choice(['00', '15', '30', '45'])}"
    if kind == "street":
        return f"{word(rng)} {rng.choice(STREET_KINDS)}"
    if kind == "money":
        return f"${rng.randint(2, 40)}"
    return rng.choice(COLOURS)


def one_word_items() -> list[tuple[str, str, str]]:
    items = [(f"What is the capital of {c}?", a, f"The capital of {c} is {a}.") for c, a in CAPITALS.items()
             if " " not in a]
    items += [(f"What is the opposite of '{w}'?", a.capitalize(), f"The opposite of '{w}' is '{a}'.")
              for w, a in OPPOSITES.items()]
    items += [(q, a, s) for q, a, s in WORD_FACTS if " " not in a]
    return items


def number_items(rng: random.Random, n: int) -> list[tuple[str, str, str]]:
    items, seen = [], set()
    while len(items) < n:
        op = rng.choice(["plus", "times", "minus", "minutes", "weeks", "legs"])
        a, b = rng.randint(2, 12), rng.randint(2, 12)
        if op == "plus":
            q, v, s = f"What is {a} plus {b}?", a + b, f"{a} plus {b} equals {a + b}."
        elif op == "times":
            q, v, s = f"What is {a} times {b}?", a * b, f"{a} times {b} is {a * b}."
        elif op == "minus":
            a, b = max(a, b) + 5, min(a, b)
            q, v, s = f"What is {a} minus {b}?", a - b, f"If you take {b} away from {a}, you get {a - b}."
        elif op == "minutes":
            q, v, s = f"How many minutes are in {a} hours?", 60 * a, f"There are {60 * a} minutes in {a} hours."
        elif op == "weeks":
            q, v, s = f"How many days are in {a} weeks?", 7 * a, f"{a} weeks have {7 * a} days."
        else:
            q, v, s = (f"How many legs do {a} cats have in total?", 4 * a,
                       f"Each cat has four legs, so {a} cats have {4 * a} legs in total.")
        if q not in seen:
            seen.add(q)
            items.append((q, str(v), s))
    return items


def context_items(rng: random.Random, n: int) -> list[dict]:
    """Invented contexts: three facts stated about a place, one question on a stated or an unstated fact."""
    items = []
    for _ in range(n):
        place = rng.choice(PLACES)
        town = word(rng, rng.choice([2, 3]))
        stated = rng.sample(sorted(FIELDS), 4)
        values = {f: value(rng, FIELDS[f][3]) for f in stated}
        context = f"The {place} in {town} is a local favourite. " + " ".join(
            FIELDS[f][1].format(v=values[f]) for f in stated[:3])
        items.append({"place": place, "town": town, "context": context, "stated": stated[:3],
                      "values": values, "unstated": stated[3]})
    return items


def split_of(i: int, n: int) -> str:
    cut1, cut2 = round(n * SHARES["train"]), round(n * (SHARES["train"] + SHARES["validation"]))
    return "train" if i < cut1 else "validation" if i < cut2 else "test"


def instruction(rng: random.Random, options: list[str], split: str) -> str:
    return options[3] if split == "test" and rng.random() < 0.5 else rng.choice(options[:3])


def pairs() -> list[dict]:
    rng = random.Random(SEED)
    rows: list[dict] = []

    def add(kind: str, i: int, prompt: str, chosen: str, rejected: str, split: str, answer: str | None = None):
        rows.append({"id": f"{kind}-{i:03d}", "kind": kind, "split": split, "prompt": prompt, "chosen": chosen,
                     "rejected": rejected, "answer": answer})

    items = one_word_items()
    rng.shuffle(items)
    items = items[:PER_KIND]
    for i, (q, a, s) in enumerate(items):
        split = split_of(i, len(items))
        add("one_word", i, f"{q} {instruction(rng, ONE_WORD_INSTRUCTIONS, split)}", a,
            rng.choice(ONE_WORD_REJECTS).format(s=s), split)

    items = number_items(rng, PER_KIND)
    for i, (q, v, s) in enumerate(items):
        split = split_of(i, len(items))
        add("number", i, f"{q} {instruction(rng, NUMBER_INSTRUCTIONS, split)}", v,
            rng.choice([s, s, f"The answer is {v}.", f"Let me work it out. {s}"]), split)

    categories = list(LIST_CATEGORIES)
    rng.shuffle(categories)
    i = 0
    for c_index, category in enumerate(categories):  # two prompts per category, both in the category's split
        split = split_of(c_index, len(categories))
        for _ in range(2):
            members = rng.sample(LIST_CATEGORIES[category], 5)
            three = members[:3]
            chosen = "\n".join(f"- {m}" for m in three)
            style = rng.randrange(4)
            if style == 0:
                rejected = "\n".join(f"{k}. {m}" for k, m in enumerate(three, start=1))
            elif style == 1:
                rejected = f"Here are three {category}: {three[0]}, {three[1]} and {three[2]}."
            elif style == 2:
                rejected = "\n".join(f"- {m}" for m in members)  # five items, not three
            else:
                rejected = f"- {three[0]} - {three[1]} - {three[2]}"  # all on one line
            add("list", i, f"List three {category}. {instruction(rng, LIST_INSTRUCTIONS, split)}", chosen,
                rejected, split)
            i += 1

    facts = list(SENTENCE_FACTS)
    rng.shuffle(facts)
    facts = facts[:PER_KIND]
    for i, (q, a) in enumerate(facts):
        split = split_of(i, len(facts))
        ramble = rng.sample(RAMBLE, rng.randint(2, 4))
        rejected = " ".join([ramble[0], a, *ramble[1:]])
        template = instruction(rng, SENTENCE_INSTRUCTIONS, split)
        add("sentence", i, template.format(q=q), a, rejected, split)

    contexts = context_items(rng, 2 * PER_KIND)
    for kind in ("grounded", "unknown"):
        block = contexts[:PER_KIND] if kind == "grounded" else contexts[PER_KIND:]
        for i, item in enumerate(block):
            split = split_of(i, len(block))
            field = rng.choice(item["stated"]) if kind == "grounded" else item["unstated"]
            question = FIELDS[field][0].format(place=item["place"])
            prompt = (f"Context: {item['context']}\nQuestion: {question} "
                      f"{instruction(rng, CONTEXT_INSTRUCTIONS, split)}")
            other = value(rng, FIELDS[field][3])
            while other == item["values"][field]:
                other = value(rng, FIELDS[field][3])
            if kind == "grounded":
                true = FIELDS[field][2].format(v=item["values"][field])
                rejected = REFUSAL if rng.random() < 0.4 else FIELDS[field][2].format(v=other)  # refuses, or invents
                add(kind, i, prompt, true, rejected, split, answer=item["values"][field])
            else:
                add(kind, i, prompt, REFUSAL, FIELDS[field][2].format(v=other), split)
    return rows


def render(rows: list[dict]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if pairs.jsonl differs from what is generated")
    args = parser.parse_args(argv)
    text = render(pairs())
    if args.check:
        if not OUT.is_file() or OUT.read_text(encoding="utf-8") != text:
            print(f"{OUT.name} is not what generate.py writes: run `python {Path(__file__).as_posix()}`.")
            return 1
        return 0
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {len(text.splitlines())} pairs to {OUT.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
