"""The seeded generator of ``pairs.jsonl``: preference pairs (prompt, chosen, rejected) written for the course.

    python datasets/preferences/generate.py          # rewrites pairs.jsonl, byte for byte the same (seed 707)
    python datasets/preferences/generate.py --check  # fails if pairs.jsonl is not what this script writes

Six kinds of prompt, each with a FORMAT rule (``utils.preferences.follows``) and a CONTENT rule
(``utils.preferences.correct``) that code can check against the row's ``answer`` (its gold strings). Each row's
``failure`` says how the rejected answer fails: ``format`` (right content, wrong format), ``wrong_content``
(right format, wrong content), ``wrong_number`` (grounded: another number from the context), ``invented``
(unknown: a made-up value instead of "I don't know") or ``verbose_vs_wrong`` (the chosen answer is right but
breaks the format, the rejected one follows the format but is wrong: correctness comes first).

The facts in ``one_word``, ``number``, ``list`` and ``sentence`` are common knowledge; every context in ``grounded``
and ``unknown`` (places, people, numbers) is invented here. Items (a question, a category, a context) never cross
splits. Test prompts are new in wording too: each kind's last instruction phrasing, and some verbose openers,
closers, hedges and refusals, appear only in the test split.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from utils.preferences import FIELDS as ROW_FIELDS  # noqa: E402
from utils.preferences import _member, check_row  # noqa: E402

SEED = 707
OUT = Path(__file__).with_name("pairs.jsonl")
SHARES = {"train": 0.7, "validation": 0.15, "test": 0.15}
PER_KIND = 90
# failure shares per kind, the same in every split
MIX = {"one_word": {"format": 0.4, "wrong_content": 0.4, "verbose_vs_wrong": 0.2},
       "grounded": {"wrong_number": 0.4, "wrong_content": 0.3, "format": 0.3},
       "unknown": {"invented": 1.0}}
for _kind in ("number", "list", "sentence"):
    MIX[_kind] = MIX["one_word"]

# The last phrasing of each list is used only in the test split (in about half of its prompts).
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

# Verbose wording: the first TRAIN_* entries in train and validation, the rest only in test.
OPENERS = ["Sure!", "Good question.", "Happy to help!", "Let me think about that.", "Great question!",
           "Here is the answer.", "Of course.", "Certainly!", "Let me explain.", "That's an easy one.",
           "Thanks for asking.", "Okay, here goes.",
           "Glad you asked!", "Right, let's see.", "No problem at all.", "Interesting one!", "Alright, here it is."]
CLOSERS = ["I hope this helps!", "Let me know if you have more questions.", "Feel free to ask for more detail.",
           "That is the short version.", "There is a lot more to say about it.", "Many people find this interesting.",
           "Hope that answers your question.", "Just ask if anything is unclear.", "It's a common question.",
           "Happy learning!", "That's the key point.", "I can explain further if you like.",
           "Have a great day!", "Thanks for the interesting question.", "Anything else I can help with?",
           "That should clear it up.", "Good luck with your studies!"]
HEDGES = ["I'm not completely sure about this.", "I might be wrong here.", "Let me check the context.",
          "This is only my reading of the text.", "Please double-check this.", "I can't be fully certain.",
          "The context is a little unclear.", "If I read it correctly, here is the answer.",
          "I had to look carefully for this.", "Take this with a pinch of salt.", "I can only go by the text.",
          "I think I found it.",
          "Treat this as a best guess.", "The text seems to say so.", "Correct me if I'm wrong.",
          "I read the passage twice."]
TRAIN_OPENERS, TRAIN_CLOSERS, TRAIN_HEDGES = 12, 12, 12
REFUSALS = ["I don't know.", "I don't know: the context does not say.", "I don't know; the text doesn't mention it.",
            "I do not know. The context says nothing about that.", "I don't know, because it isn't stated.",
            "Sorry, I don't know: that is not in the context.",
            "I don't know. The passage leaves that out.", "I do not know; the context is silent on it."]
TRAIN_REFUSALS = 6

CAPITALS = {"France": "Paris", "Japan": "Tokyo", "Italy": "Rome", "Egypt": "Cairo", "Kenya": "Nairobi",
            "Peru": "Lima", "Norway": "Oslo", "Spain": "Madrid", "Greece": "Athens", "Russia": "Moscow",
            "Austria": "Vienna", "Portugal": "Lisbon", "Ireland": "Dublin", "Poland": "Warsaw",
            "Hungary": "Budapest", "Sweden": "Stockholm", "Finland": "Helsinki", "Denmark": "Copenhagen",
            "Cuba": "Havana", "Chile": "Santiago", "Thailand": "Bangkok", "Germany": "Berlin",
            "Belgium": "Brussels", "Argentina": "Buenos Aires", "Mexico": "Mexico City", "Turkey": "Ankara",
            "Iran": "Tehran", "Vietnam": "Hanoi", "Ghana": "Accra", "Canada": "Ottawa", "Australia": "Canberra",
            "Brazil": "Brasilia", "Switzerland": "Bern", "Morocco": "Rabat", "Nigeria": "Abuja",
            "Netherlands": "Amsterdam", "China": "Beijing"}
CAPITAL_VARIANTS = {"Brasilia": ["Brasília"], "Bern": ["Berne"], "Beijing": ["Peking"]}
# A plausible wrong capital: a big city of the same country (one word).
CITY_MISTAKES = {"France": "Lyon", "Japan": "Osaka", "Italy": "Milan", "Egypt": "Alexandria", "Kenya": "Mombasa",
                 "Peru": "Cusco", "Norway": "Bergen", "Spain": "Barcelona", "Greece": "Thessaloniki",
                 "Russia": "Kazan", "Austria": "Salzburg", "Portugal": "Porto", "Ireland": "Cork",
                 "Poland": "Krakow", "Hungary": "Debrecen", "Sweden": "Gothenburg", "Finland": "Turku",
                 "Denmark": "Aarhus", "Cuba": "Varadero", "Chile": "Valparaiso", "Thailand": "Phuket",
                 "Germany": "Munich", "Belgium": "Antwerp", "Turkey": "Istanbul", "Iran": "Isfahan",
                 "Vietnam": "Saigon", "Ghana": "Kumasi", "Canada": "Toronto", "Australia": "Sydney",
                 "Brazil": "Salvador", "Switzerland": "Zurich", "Morocco": "Casablanca", "Nigeria": "Lagos",
                 "Netherlands": "Rotterdam", "China": "Shanghai"}
CAPITAL_FRAMES = ["The capital of {c} is {a}.", "{a} is the capital of {c}.", "{c}'s capital is {a}.", "It's {a}.",
                  "The capital city of {c} is {a}."]
# word: (opposite, accepted variants, a plausible wrong answer: a near-synonym of the word itself)
OPPOSITES = {"hot": ("cold", [], "warm"), "tall": ("short", [], "big"), "fast": ("slow", [], "quick"),
             "happy": ("sad", ["unhappy"], "glad"), "open": ("closed", ["shut"], "wide"),
             "heavy": ("light", [], "large"), "early": ("late", [], "soon"), "full": ("empty", [], "whole"),
             "wet": ("dry", [], "damp"), "loud": ("quiet", ["silent"], "noisy"), "hard": ("soft", [], "firm"),
             "young": ("old", ["elderly"], "new"), "rich": ("poor", [], "wealthy"), "strong": ("weak", [], "tough"),
             "thick": ("thin", [], "wide"), "clean": ("dirty", [], "tidy"), "deep": ("shallow", [], "low"),
             "brave": ("cowardly", ["timid", "coward"], "bold"), "sharp": ("blunt", ["dull"], "pointed"),
             "up": ("down", [], "high"), "inside": ("outside", [], "within"), "win": ("lose", [], "gain"),
             "push": ("pull", [], "press"), "buy": ("sell", [], "pay"), "begin": ("end", ["finish"], "start"),
             "arrive": ("leave", ["depart"], "come"), "remember": ("forget", [], "recall"),
             "accept": ("refuse", ["reject", "decline"], "receive"), "increase": ("decrease", ["reduce"], "grow"),
             "ancient": ("modern", ["new"], "old")}
OPPOSITE_FRAMES = ["The opposite of '{w}' is '{a}'.", "'{a}' is the opposite of '{w}'.", "The word you want is '{a}'.",
                   "It's '{a}'.", "The antonym of '{w}' is '{a}'."]
# question, gold (first is the main one), a plausible wrong answer, the answer as a sentence
WORD_FACTS = [("What colour is a ripe banana?", ["Yellow"], "Green", "A ripe banana is yellow."),
              ("What colour is the clear daytime sky?", ["Blue"], "White", "The clear daytime sky is blue."),
              ("What colour is fresh grass?", ["Green"], "Brown", "Fresh grass is green."),
              ("What colour is snow?", ["White"], "Grey", "Snow is white."),
              ("What colour is coal?", ["Black"], "Brown", "Coal is black."),
              ("Which animal says moo?", ["Cow", "cattle"], "Goat", "The animal that says moo is a cow."),
              ("Which animal is known as the king of the jungle?", ["Lion"], "Tiger",
               "The lion is known as the king of the jungle."),
              ("Which bird is a symbol of peace?", ["Dove"], "Eagle", "The dove is a symbol of peace."),
              ("Which insect makes honey?", ["Bee", "bees", "honeybee"], "Wasp", "Honey is made by bees."),
              ("What is the largest ocean on Earth?", ["Pacific"], "Atlantic",
               "The largest ocean on Earth is the Pacific Ocean."),
              ("Which planet is known as the red planet?", ["Mars"], "Venus", "The planet known as the red planet is Mars."),
              ("What is the closest star to Earth?", ["Sun"], "Sirius", "The closest star to Earth is the Sun."),
              ("What sweet liquid do bees collect from flowers?", ["Nectar"], "Honey", "Bees collect nectar from flowers."),
              ("What is frozen water called?", ["Ice"], "Steam", "Frozen water is called ice."),
              ("Which metal is liquid at room temperature?", ["Mercury"], "Silver",
               "Mercury is the metal that is liquid at room temperature."),
              ("Which season comes after winter?", ["Spring"], "Autumn", "The season after winter is spring."),
              ("Which day comes after Monday?", ["Tuesday"], "Wednesday", "The day after Monday is Tuesday."),
              ("Which month has the fewest days?", ["February"], "June", "The month with the fewest days is February."),
              ("What do you call a baby cat?", ["Kitten"], "Puppy", "A baby cat is called a kitten."),
              ("What do you call a baby dog?", ["Puppy", "pup"], "Cub", "A baby dog is called a puppy."),
              ("What organ pumps blood through the body?", ["Heart"], "Liver", "The heart pumps blood through the body."),
              ("Which instrument has 88 keys?", ["Piano"], "Organ", "The instrument with 88 keys is the piano."),
              ("What is the main language spoken in Brazil?", ["Portuguese"], "Spanish",
               "The main language spoken in Brazil is Portuguese."),
              ("What is the hardest natural substance?", ["Diamond"], "Steel", "The hardest natural substance is diamond."),
              ("Which shape has three sides?", ["Triangle"], "Pyramid", "A shape with three sides is a triangle."),
              ("Which animal is famous for its black and white stripes?", ["Zebra"], "Panda",
               "The zebra is famous for its black and white stripes."),
              ("Which animal has a trunk?", ["Elephant"], "Giraffe", "The animal with a trunk is the elephant."),
              ("What do caterpillars turn into?", ["Butterflies", "butterfly", "moths", "moth"], "Beetles",
               "Caterpillars turn into butterflies."),
              ("Which fruit keeps the doctor away, in the saying?", ["Apple"], "Banana",
               "In the saying, an apple a day keeps the doctor away.")]
PROPER = {"Pacific", "Mars", "Sun", "Mercury", "Tuesday", "February", "Portuguese"}
WORD_FRAMES = ["The answer is {a}.", "It's {a}.", "That would be {a}."]

# category: (members a correct answer may name, a related category to take a wrong item from)
LIST_CATEGORIES = {
    "fruits": (["apple", "banana", "cherry", "mango", "pear", "plum", "orange", "grape", "strawberry", "peach",
                "pineapple", "kiwi", "watermelon", "lemon"], "vegetables"),
    "vegetables": (["carrot", "potato", "onion", "spinach", "pepper", "leek", "broccoli", "cabbage", "cucumber",
                    "lettuce", "pea", "bean", "celery", "cauliflower"], "fruits"),
    "colours": (["red", "orange", "yellow", "green", "blue", "purple", "pink", "brown", "black", "white", "grey",
                 "gray", "violet"], "shapes"),
    "farm animals": (["cow", "sheep", "pig", "goat", "horse", "hen", "chicken", "duck", "goose", "donkey", "rooster",
                      "turkey", "llama"], "wild animals"),
    "wild animals": (["lion", "tiger", "bear", "wolf", "elephant", "giraffe", "zebra", "fox", "deer", "monkey",
                      "leopard", "rhino", "hippo"], "farm animals"),
    "sea animals": (["shark", "dolphin", "octopus", "whale", "crab", "squid", "jellyfish", "seal", "lobster",
                     "starfish", "turtle", "fish", "eel", "shrimp"], "birds"),
    "musical instruments": (["guitar", "piano", "violin", "drum", "flute", "trumpet", "cello", "saxophone",
                             "clarinet", "harp", "trombone", "ukulele", "banjo"], "tools in a toolbox"),
    "kitchen tools": (["knife", "whisk", "ladle", "spatula", "grater", "peeler", "spoon", "fork", "pan", "pot",
                       "colander", "rolling pin", "sieve", "tongs"], "kitchen appliances"),
    "kitchen appliances": (["fridge", "oven", "microwave", "toaster", "kettle", "dishwasher", "blender", "freezer",
                            "stove", "cooker", "mixer", "refrigerator"], "kitchen tools"),
    "sports played with a ball": (["football", "tennis", "basketball", "golf", "volleyball", "cricket", "baseball",
                                   "rugby", "soccer", "hockey", "handball", "table tennis", "netball", "polo"],
                                  "board games"),
    "European countries": (["France", "Spain", "Italy", "Poland", "Greece", "Norway", "Germany", "Portugal", "Sweden",
                            "Ireland", "Austria", "Belgium", "Netherlands", "Switzerland"], "rivers"),
    "things found in a classroom": (["desk", "chair", "whiteboard", "pencil", "notebook", "ruler", "book", "board",
                                     "eraser", "pen", "clock", "computer", "blackboard", "map"], "things in a bathroom"),
    "types of weather": (["rain", "snow", "fog", "wind", "hail", "sunshine", "sleet", "thunder", "lightning", "storm",
                          "drizzle", "frost", "cloud"], "things at a beach"),
    "parts of a tree": (["root", "trunk", "branch", "leaf", "leaves", "bark", "seed", "twig", "fruit", "flower", "bud",
                         "crown"], "garden flowers"),
    "means of transport": (["bus", "train", "bicycle", "car", "ship", "plane", "bike", "boat", "tram", "taxi",
                            "motorcycle", "ferry", "scooter", "truck"], "things that fly"),
    "breakfast foods": (["toast", "porridge", "egg", "cereal", "pancake", "yoghurt", "yogurt", "bacon", "croissant",
                         "muesli", "oatmeal", "waffle", "sausage"], "desserts"),
    "birds": (["sparrow", "eagle", "owl", "robin", "parrot", "penguin", "pigeon", "crow", "swan", "duck", "hawk",
               "flamingo", "seagull", "blackbird"], "insects"),
    "shapes": (["circle", "square", "triangle", "hexagon", "oval", "rectangle", "pentagon", "octagon", "diamond",
                "star", "heart", "rhombus", "trapezium", "trapezoid"], "colours"),
    "body parts": (["hand", "knee", "elbow", "shoulder", "ankle", "wrist", "head", "arm", "leg", "foot", "nose", "eye",
                    "ear", "finger"], "parts of a tree"),
    "things you can recycle": (["paper", "glass", "can", "cardboard", "plastic bottle", "newspaper", "bottle",
                                "plastic", "tin", "aluminium", "metal", "jar", "magazine"], "things at a beach"),
    "hot drinks": (["tea", "coffee", "cocoa", "chai", "hot chocolate", "herbal tea", "latte", "cappuccino", "espresso",
                    "mulled wine", "green tea", "mocha"], "breakfast foods"),
    "garden flowers": (["rose", "tulip", "daisy", "lily", "sunflower", "daffodil", "lavender", "poppy", "orchid",
                        "marigold", "pansy", "iris", "peony", "carnation"], "herbs"),
    "insects": (["ant", "bee", "beetle", "moth", "wasp", "ladybird", "ladybug", "butterfly", "fly", "mosquito",
                 "grasshopper", "cricket", "dragonfly", "termite"], "birds"),
    "programming languages": (["Python", "Java", "Rust", "Go", "Ruby", "JavaScript", "C++", "TypeScript", "Kotlin",
                               "Swift", "PHP", "Perl", "Haskell"], "board games"),
    "units of length": (["metre", "meter", "inch", "mile", "kilometre", "kilometer", "foot", "feet", "yard",
                         "centimetre", "centimeter", "millimetre", "millimeter"], "metals"),
    "board games": (["chess", "checkers", "draughts", "Monopoly", "Scrabble", "backgammon", "Go", "Cluedo", "Clue",
                     "Risk", "Catan", "ludo", "snakes and ladders"], "card games"),
    "tools in a toolbox": (["hammer", "screwdriver", "wrench", "pliers", "saw", "tape measure", "spanner", "drill",
                            "level", "chisel", "file", "utility knife", "mallet"], "kitchen tools"),
    "things at a beach": (["sand", "shell", "wave", "towel", "umbrella", "seagull", "bucket", "spade", "sunscreen",
                           "rock", "crab", "lifeguard", "sandcastle"], "types of weather"),
    "types of bread": (["baguette", "rye", "sourdough", "pitta", "pita", "brioche", "naan", "ciabatta", "focaccia",
                        "bagel", "wholemeal", "white bread", "cornbread", "flatbread"], "desserts"),
    "mammals": (["dog", "bat", "whale", "mouse", "bear", "rabbit", "cat", "horse", "cow", "elephant", "lion",
                 "monkey", "human", "dolphin"], "birds"),
    "metals": (["iron", "copper", "gold", "silver", "tin", "zinc", "aluminium", "aluminum", "lead", "nickel",
                "titanium", "platinum", "mercury"], "things you can recycle"),
    "pieces of furniture": (["sofa", "table", "wardrobe", "bed", "bookcase", "stool", "chair", "desk", "couch",
                             "armchair", "dresser", "cupboard", "shelf"], "kitchen appliances"),
    "winter clothes": (["scarf", "glove", "coat", "hat", "boot", "jumper", "sweater", "jacket", "mitten", "beanie",
                        "parka", "hoodie", "thermal"], "things at a beach"),
    "nuts": (["almond", "walnut", "hazelnut", "cashew", "pecan", "pistachio", "peanut", "macadamia", "chestnut",
              "brazil nut", "pine nut", "coconut"], "fruits"),
    "jobs in a hospital": (["nurse", "surgeon", "porter", "pharmacist", "radiographer", "midwife", "doctor", "cleaner",
                            "receptionist", "paramedic", "anaesthetist", "physiotherapist", "cook"], "school subjects"),
    "herbs": (["basil", "parsley", "mint", "thyme", "rosemary", "sage", "oregano", "dill", "coriander", "cilantro",
               "chives", "tarragon", "bay leaf"], "vegetables"),
    "school subjects": (["maths", "math", "history", "biology", "art", "music", "geography", "English", "science",
                         "physics", "chemistry", "French", "PE"], "jobs in a hospital"),
    "things that fly": (["kite", "plane", "bird", "balloon", "drone", "bee", "helicopter", "butterfly", "rocket",
                         "airplane", "aeroplane", "bat", "glider"], "means of transport"),
    "citrus fruits": (["lemon", "lime", "orange", "grapefruit", "mandarin", "kumquat", "tangerine", "clementine",
                       "satsuma", "pomelo", "yuzu"], "fruits"),
    "desserts": (["ice cream", "cake", "pie", "pudding", "mousse", "trifle", "brownie", "cheesecake", "tiramisu",
                  "cookie", "tart", "sorbet", "custard"], "breakfast foods"),
    "rivers": (["Nile", "Amazon", "Danube", "Thames", "Mississippi", "Ganges", "Rhine", "Yangtze", "Seine", "Volga",
                "Mekong", "Congo", "Missouri"], "European countries"),
    "card games": (["poker", "bridge", "snap", "rummy", "solitaire", "blackjack", "patience", "whist", "canasta",
                    "go fish", "uno", "hearts", "spades"], "board games"),
    "dog breeds": (["beagle", "poodle", "collie", "terrier", "labrador", "dachshund", "bulldog", "boxer", "husky",
                    "retriever", "spaniel", "greyhound", "chihuahua"], "farm animals"),
    "parts of a computer": (["keyboard", "mouse", "screen", "processor", "memory", "disk", "monitor", "CPU", "RAM",
                             "motherboard", "hard drive", "graphics card", "fan", "power supply"], "kitchen appliances"),
    "things in a bathroom": (["towel", "soap", "mirror", "toothbrush", "sink", "bath", "shower", "toilet", "toothpaste",
                              "shampoo", "bathtub", "sponge"], "things found in a classroom"),
}
LIST_STEMS = ["List three {c}.", "Name three {c}."]

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
    ("what is a fridge for?", "A fridge keeps food cold so that it stays fresh for longer."),
]

SENTENCE_KEYS = {
    "what is a volcano?": ["lava", "molten", "magma", "erupt", "erupting", "eruption"],
    "what does a thermometer measure?": ["temperature", "how hot", "how cold", "heat"],
    "what is photosynthesis?": ["sunlight", "light", "sugar", "glucose", "food", "energy"],
    "what is a noun?": ["name", "names", "naming", "person, place", "thing"],
    "why is the sky blue?": ["scatter", "scatters", "scattering", "scattered"],
    "what is gravity?": ["pull", "pulls", "attract", "attracts", "attraction"],
    "what is a fraction?": ["part", "parts", "divided", "portion"],
    "what does a dictionary contain?": ["meaning", "meanings", "definition", "definitions", "spelling"],
    "what is an island?": ["surrounded", "water", "sea", "ocean"],
    "what is a recipe?": ["instruction", "instructions", "steps", "ingredient", "cook", "cooking", "prepare"],
    "what is a calendar for?": ["date", "dates", "day", "month", "plan", "schedule"],
    "what is a desert?": ["little rain", "dry", "arid", "rainfall"],
    "what does a compass show?": ["north", "direction", "directions"],
    "what is a library?": ["book", "borrow", "lend", "lends", "loan"],
    "what is evaporation?": ["gas", "vapour", "vapor", "steam"],
    "what is a vaccine?": ["immune", "immunity", "disease", "infection", "protect", "protects"],
    "what is an atom?": ["smallest", "element", "matter", "particle", "nucleus"],
    "what is a budget?": ["money", "spend", "spending", "spent", "income", "expenses"],
    "what is a glacier?": ["ice"],
    "what is a metaphor?": ["calling", "comparison", "compares", "compare", "something else", "figure of speech"],
    "what does a pharmacist do?": ["medicine", "medicines", "drug", "prescription", "prescriptions", "dispense"],
    "what is the equator?": ["line", "middle", "halfway", "poles", "hemisphere", "hemispheres"],
    "what is a password for?": ["account", "access", "identity", "who you are", "log in", "secure", "unlock"],
    "what is a thunderstorm?": ["thunder", "lightning"],
    "what is an orchestra?": ["musician", "musicians", "instrument", "instruments"],
    "what is a map?": ["drawing", "picture", "diagram", "where", "area", "places", "location"],
    "what is recycling?": ["new", "reuse", "reusing", "reprocess", "used materials", "waste"],
    "what is a skeleton?": ["bone", "bones"],
    "what is an election?": ["vote", "votes", "voting", "choose", "elect"],
    "what is a telescope used for?": ["distant", "far", "faraway", "stars", "planets", "space"],
    "what is a habit?": ["regularly", "repeatedly", "routine", "often", "without thinking", "repeated"],
    "what is the moon?": ["satellite", "orbits", "orbit", "orbiting"],
    "what is a battery?": ["electricity", "electrical", "energy", "power", "charge"],
    "what is a verb?": ["action", "actions", "doing", "state"],
    "what is a museum?": ["display", "displayed", "exhibit", "exhibits", "exhibition", "collection", "objects"],
    "what is erosion?": ["wearing", "worn", "wears", "washing away", "carried away"],
    "what is a rainbow?": ["colour", "colours", "color", "colors", "light", "raindrops", "arc"],
    "what is a spreadsheet?": ["cell", "cells", "grid", "table", "rows", "columns", "calculate", "calculating"],
    "what is a fossil?": ["remains", "preserved", "trace", "ancient", "prehistoric"],
    "what is a harbour?": ["ship", "ships", "boat", "boats", "dock", "sheltered", "moor"],
    "what does a dentist do?": ["teeth", "tooth", "gums", "dental"],
    "what is a poem?": ["rhythm", "rhyme", "verse", "lines", "imagery", "writing"],
    "what is an earthquake?": ["shaking", "shake", "shakes", "tremor", "ground", "plates"],
    "what is a currency?": ["money"],
    "what is a microscope for?": ["small", "tiny", "magnify", "magnifies", "magnified", "cells"],
    "what is a tide?": ["rise", "fall", "sea level", "moon"],
    "what is a mammal?": ["milk", "warm-blooded", "hair", "fur"],
    "what is an email?": ["message", "electronic", "electronically", "internet"],
    "what is friction?": ["resists", "resist", "resistance", "slows", "rubbing", "surfaces"],
    "what is a forest?": ["trees", "tree", "woodland"],
    "what is a referee?": ["rules", "official", "enforces", "judge", "match", "game"],
    "what is a chef?": ["cook", "cooks", "cooking", "kitchen", "restaurant"],
    "what is a bridge for?": ["cross", "across", "crossing", "over", "span"],
    "what is a virus?": ["infect", "infects", "infection", "infectious", "cells", "disease", "pathogen"],
    "what is democracy?": ["vote", "votes", "voting", "elect", "elections", "people", "citizens"],
    "what is a comet?": ["ice", "icy", "tail", "dust"],
    "what is a lighthouse?": ["light", "ships", "ship", "guides", "warn", "warns", "sailors"],
    "what is a synonym?": ["same", "similar"],
    "what is a marathon?": ["race", "run", "running", "42", "26"],
    "what is an allergy?": ["immune", "reaction", "react", "reacts", "reacting", "overreacts"],
    "what is inflation?": ["prices", "price", "cost of living", "value of money"],
    "what is a canal?": ["waterway", "channel", "boats", "man-made", "artificial", "built"],
    "what is a passport?": ["travel", "document", "identity", "countries", "abroad"],
    "what is a seed?": ["grow", "grows", "plant", "new plant", "germinate"],
    "what is a haiku?": ["japanese", "syllables", "three lines", "short poem"],
    "what is a kilogram?": ["mass", "weight", "thousand grams", "1000 grams", "1,000 grams", "unit"],
    "what is the internet?": ["network", "networks", "connects", "computers"],
    "what is a thesaurus?": ["synonym", "synonyms", "similar meanings", "similar meaning", "same meaning"],
    "what is a nest?": ["eggs", "egg", "young", "chicks", "birds", "bird"],
    "what is a sculpture?": ["art", "artwork", "carved", "shaped", "shaping", "stone", "statue", "three-dimensional"],
    "what is a planet?": ["orbits", "orbit", "orbiting", "star", "sun"],
    "what is a keyboard?": ["keys", "type", "typing", "input"],
    "what is a reservoir?": ["store", "stores", "storing", "storage", "stored", "water supply"],
    "what is composting?": ["decompose", "decomposes", "rot", "rots", "fertiliser", "fertilizer", "soil", "scraps"],
    "what is a cactus?": ["spines", "spiny", "spiky", "desert", "stores water", "dry"],
    "what is a jury?": ["verdict", "trial", "court", "guilty", "decide"],
    "what is a satellite?": ["orbits", "orbit", "orbiting"],
    "what is a lullaby?": ["sleep", "asleep", "song", "baby", "babies", "child"],
    "what is an ingredient?": ["dish", "recipe", "food", "mixture", "cooking", "component"],
    "what is a calorie?": ["energy", "unit"],
    "what is a hurricane?": ["storm", "wind", "winds", "cyclone", "typhoon"],
    "what is a translator?": ["language", "languages", "translates", "translate"],
    "what is a puzzle?": ["problem", "game", "solve", "solved", "solving", "challenge", "ingenuity"],
    "what is a valley?": ["low", "between hills", "between mountains", "hills", "mountains"],
    "what is a shadow?": ["light", "block", "blocks", "blocked", "dark"],
    "what is a symphony?": ["orchestra", "orchestral", "music", "movements", "composition"],
    "what is a pension?": ["retire", "retired", "retirement", "retires", "old age"],
    "what is a continent?": ["land mass", "landmass", "land masses", "large land", "seven", "7"],
    "what is a password manager?": ["passwords", "store", "stores", "stored", "remember", "vault"],
    "what is a fridge for?": ["cold", "cool", "chill", "fresh", "chilled"],
}
RAMBLE = ["This is a really interesting question that many people have wondered about.",
          "Experts have written a great deal about it.", "It has a long and fascinating history.",
          "There is much more that could be said about this.", "It is worth learning about.",
          "Many books and websites cover this subject in depth.", "People often ask about this.",
          "It comes up a lot in school.", "The details can get complicated.", "Scientists still study it today.",
          "It is a simple idea once you see it.", "Here is the basic idea.",
          "It is easier than it sounds.", "Teachers often start with this.", "It's a classic topic."]
TRAIN_RAMBLE = 12

# Invented places and people for the contexts (any resemblance to a real one is coincidental).
SYLLABLES = ["lar", "mi", "ton", "ves", "ka", "dor", "bri", "sel", "quin", "ra", "mo", "lek", "fen", "ta", "gru",
             "zo", "pel", "wyn", "os", "tir"]
PLACES = ["bakery", "library", "museum", "swimming pool", "bookshop", "theatre", "community garden",
          "bike shop", "observatory", "ferry", "cinema", "market", "school", "clinic", "café", "gallery", "zoo",
          "sports hall"]
# field: (value type, twin field (same type: the source of a wrong value), how a context states it (>= 3),
#         questions, how an answer states it). {S}/{s}: the place as a sentence's subject / elsewhere.
CONTEXT_FIELDS = {
    "opened": ("year", "renovated",
               ["{S} opened in {v}.", "{S} first opened its doors in {v}.", "{S} has been open since {v}."],
               ["When did the {p} open?", "In what year did the {p} open?"],
               ["It opened in {v}.", "The {p} opened in {v}.", "In {v}."]),
    "renovated": ("year", "opened",
                  ["{S} was renovated in {v}.", "{S} was last refurbished in {v}.", "In {v}, {s} was rebuilt."],
                  ["When was the {p} renovated?", "In what year was the {p} last renovated?"],
                  ["It was renovated in {v}.", "In {v}.", "The {p} was renovated in {v}."]),
    "staff": ("count", "capacity",
              ["{S} employs {v} people.", "{S} has a staff of {v}.", "{S} has {v} people on its payroll."],
              ["How many people work at the {p}?", "How many staff does the {p} have?"],
              ["{v} people work there.", "It has {v} staff.", "The {p} employs {v} people."]),
    "capacity": ("count", "staff",
                 ["{S} has room for {v} visitors.", "{S} can hold {v} people at once.", "Up to {v} guests fit in {s}."],
                 ["How many visitors does the {p} have room for?", "How many people can the {p} hold?"],
                 ["It has room for {v} visitors.", "Up to {v} people.", "The {p} holds {v} people."]),
    "price": ("money", "child_price",
              ["An adult ticket to {s} costs {v}.", "{S} charges adults {v}.", "Adults pay {v} to enter {s}."],
              ["How much is an adult ticket to the {p}?", "What do adults pay to enter the {p}?"],
              ["An adult ticket costs {v}.", "Adults pay {v}.", "It costs {v}."]),
    "child_price": ("small_money", "price",
                    ["Children pay {v} at {s}.", "A child's ticket to {s} is {v}.", "{S} lets children in for {v}."],
                    ["How much does a child's ticket to the {p} cost?", "What do children pay at the {p}?"],
                    ["Children pay {v}.", "A child's ticket is {v}.", "It costs {v} for a child."]),
    "opens": ("morning", "closes",
              ["{S} opens at {v} every morning.", "Every morning {s} opens at {v}.", "{S} unlocks its doors at {v}."],
              ["What time does the {p} open in the morning?", "When does the {p} open each morning?"],
              ["It opens at {v}.", "At {v}.", "The {p} opens at {v}."]),
    "closes": ("evening", "opens",
               ["{S} closes at {v}.", "{S} shuts at {v} each evening.", "Every evening {s} closes at {v}."],
               ["What time does the {p} close?", "When does the {p} shut in the evening?"],
               ["It closes at {v}.", "At {v}.", "The {p} shuts at {v}."]),
    "manager": ("person", "founder",
                ["{S} is run by {v}.", "{v} manages {s}.", "The manager of {s} is {v}."],
                ["Who runs the {p}?", "Who manages the {p}?"],
                ["It is run by {v}.", "{v} runs it.", "{v} manages it."]),
    "founder": ("person", "manager",
                ["{S} was founded by {v}.", "{v} founded {s}.", "{S} was set up by {v}."],
                ["Who founded the {p}?", "Who set up the {p}?"],
                ["It was founded by {v}.", "{v} founded it.", "{v} set it up."]),
    "door": ("colour", "sign",
             ["{S} has a {v} front door.", "The front door of {s} is painted {v}.", "{v_cap} paint covers the door of {s}."],
             ["What colour is the front door of the {p}?", "What colour is the {p}'s front door?"],
             ["The front door is {v}.", "It is {v}.", "The door is painted {v}."]),
    "sign": ("colour", "door",
             ["The sign above {s} is {v}.", "{S} has a {v} sign.", "{S} hangs a {v} sign outside."],
             ["What colour is the sign of the {p}?", "What colour is the {p}'s sign?"],
             ["The sign is {v}.", "It is {v}.", "The {p}'s sign is {v}."]),
    "street": ("street", "parking",
               ["{S} stands on {v}.", "{S} is on {v}.", "You can find {s} on {v}."],
               ["On which street is the {p}?", "What street is the {p} on?"],
               ["It is on {v}.", "On {v}.", "The {p} stands on {v}."]),
    "parking": ("street", "street",
                ["The car park for {s} is on {v}.", "{S} has a car park on {v}.", "Parking for {s} is on {v}."],
                ["On which street is the car park for the {p}?", "Where is the {p}'s car park?"],
                ["The car park is on {v}.", "It is on {v}.", "On {v}."]),
}
NUMERIC = ("year", "count", "money", "small_money", "morning", "evening")
COLOURS = ["red", "blue", "green", "yellow", "orange", "purple", "white", "black", "grey", "teal"]
STREET_KINDS = ["Street", "Lane", "Road", "Avenue", "Row"]


def word(rng: random.Random, n: int = 2) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(n)).capitalize()


def split_of(i: int, n: int) -> str:
    cut1, cut2 = round(n * SHARES["train"]), round(n * (SHARES["train"] + SHARES["validation"]))
    return "train" if i < cut1 else "validation" if i < cut2 else "test"


def instruction(rng: random.Random, options: list[str], split: str) -> str:
    return options[3] if split == "test" and rng.random() < 0.5 else rng.choice(options[:3])


def pool(options: list[str], n_train: int, split: str) -> list[str]:
    """Wording held out for test: the entries after the first ``n_train`` appear only in the test split."""
    return options[n_train:] if split == "test" else options[:n_train]


def verbose(rng: random.Random, core: str, split: str) -> str:
    """``core`` padded with an opener and/or a closer: two or three sentences in all."""
    opener = rng.choice(pool(OPENERS, TRAIN_OPENERS, split))
    closer = rng.choice(pool(CLOSERS, TRAIN_CLOSERS, split))
    return rng.choice([f"{opener} {core}", f"{core} {closer}", f"{opener} {core} {closer}"])


def allocate(n: int, mix: dict[str, float], rng: random.Random) -> list[str]:
    """``n`` failure labels in the shares of ``mix`` (largest remainders), shuffled."""
    counts = {f: int(n * share) for f, share in mix.items()}
    rest = sorted(mix, key=lambda f: (-(n * mix[f] - counts[f]), list(mix).index(f)))
    for f in rest[: n - sum(counts.values())]:
        counts[f] += 1
    labels = [f for f, c in counts.items() for _ in range(c)]
    rng.shuffle(labels)
    return labels


def failures_by_split(kind: str, splits: list[str], rng: random.Random) -> list[str]:
    """One failure label per row, the kind's mix applied within each split."""
    labels = {s: allocate(splits.count(s), MIX[kind], rng) for s in SHARES}
    return [labels[s].pop() for s in splits]


# ---------------------------------------------------------------------------------------------- one_word

def one_word_items() -> list[dict]:
    items = [{"q": f"What is the capital of {c}?", "gold": [a, *CAPITAL_VARIANTS.get(a, [])], "wrong": CITY_MISTAKES[c],
              "frames": [f.format(c=c, a=a) for f in CAPITAL_FRAMES]} for c, a in CAPITALS.items() if " " not in a]
    items += [{"q": f"What is the opposite of '{w}'?", "gold": [a, *variants], "wrong": wrong,
               "frames": [f.format(w=w, a=a) for f in OPPOSITE_FRAMES]} for w, (a, variants, wrong) in OPPOSITES.items()]
    items += [{"q": q, "gold": gold, "wrong": wrong, "frames": [s, *(f.format(a=gold[0] if gold[0] in PROPER else gold[0].lower()) for f in WORD_FRAMES)]}
              for q, gold, wrong, s in WORD_FACTS]
    assert all(" " not in g for item in items for g in item["gold"]), "one_word gold must be single words"
    return items


# ---------------------------------------------------------------------------------------------- number

def number_item(rng: random.Random) -> dict:
    """A small arithmetic question, its answer, sentences that state it, and plausible wrong answers."""
    op = rng.choice(["plus", "times", "minus", "minutes", "weeks", "legs", "hours", "months", "wheels"])
    a, b = sorted((rng.randint(2, 12), rng.randint(2, 12)))
    if op == "plus":
        q = rng.choice(["What is {a} plus {b}?", "What do you get when you add {a} and {b}?", "What is {a} + {b}?"])
        v, says, wrong = a + b, ["{a} plus {b} equals {v}.", "Adding {a} and {b} gives {v}."], [a * b, a + b + 1]
    elif op == "times":
        q = rng.choice(["What is {a} times {b}?", "What is {a} multiplied by {b}?", "What is {a} x {b}?"])
        v, says, wrong = a * b, ["{a} times {b} is {v}.", "{a} multiplied by {b} makes {v}."], [a + b, a * (b - 1)]
    elif op == "minus":
        a, b = b + 5, a
        q = rng.choice(["What is {a} minus {b}?", "What is {b} less than {a}?", "What do you get if you take {b} from {a}?"])
        v, says, wrong = a - b, ["{a} minus {b} is {v}.", "Taking {b} away from {a} leaves {v}."], [a + b, a - b - 1]
    elif op == "minutes":
        q = rng.choice(["How many minutes are in {a} hours?", "How many minutes long is a {a}-hour trip?"])
        v, says, wrong = 60 * a, ["There are {v} minutes in {a} hours.", "{a} hours last {v} minutes."], [100 * a, 60 * a - 60]
    elif op == "weeks":
        q = rng.choice(["How many days are in {a} weeks?", "How many days long is a {a}-week holiday?"])
        v, says, wrong = 7 * a, ["{a} weeks have {v} days.", "That is {v} days, seven for each week."], [5 * a, 7 * a + 1]
    elif op == "legs":
        q = rng.choice(["How many legs do {a} cats have in total?", "How many legs do {a} dogs have altogether?"])
        v, says, wrong = 4 * a, ["Each has four legs, so that makes {v} legs.", "Together they have {v} legs."], [2 * a, 4 * a + 4]
    elif op == "hours":
        q = rng.choice(["How many hours are in {a} days?", "How many hours long is a {a}-day festival?"])
        v, says, wrong = 24 * a, ["There are {v} hours in {a} days.", "{a} days last {v} hours."], [12 * a, 24 * a - 24]
    elif op == "months":
        q = rng.choice(["How many months are in {a} years?", "How many months long is a {a}-year contract?"])
        v, says, wrong = 12 * a, ["{a} years have {v} months.", "That is {v} months, twelve a year."], [10 * a, 12 * a + 1]
    else:
        q = rng.choice(["How many wheels do {a} bicycles have?", "How many wheels are there on {a} bikes?"])
        v, says, wrong = 2 * a, ["{a} bicycles have {v} wheels.", "Two wheels each makes {v} wheels."], [4 * a, a + 2]
    fill = {"a": a, "b": b, "v": v}
    frames = [s.format(**fill) for s in says] + [f"The answer is {v}.", f"It comes to {v}.", f"That makes {v}."]
    return {"item": (op, a, b if op in ("plus", "times", "minus") else 0), "q": q.format(**fill), "gold": [str(v)], "wrong": [str(w) for w in wrong if w != v and w > 0] or [str(v + 1)],
            "frames": frames}


def number_items(rng: random.Random, n: int) -> list[dict]:
    items: list[dict] = []
    seen: set[tuple] = set()
    while len(items) < n:  # an item is the sum itself ("9 minus 3"), however it is worded
        item = number_item(rng)
        if item["item"] not in seen:
            seen.add(item["item"])
            items.append(item)
    return items


# ---------------------------------------------------------------------------------------------- list

SECONDARY = {"gray", "yogurt", "meter", "kilometer", "centimeter", "millimeter", "leaves", "feet", "aluminum", "math",
             "ladybug", "pita", "airplane", "refrigerator", "couch", "soccer", "cilantro", "Clue", "bathtub", "bike"}


def dashes(items: list[str]) -> str:
    return "\n".join(f"- {m}" for m in items)


def and_list(items: list[str]) -> str:
    return f"{', '.join(items[:-1])} and {items[-1]}"


def list_right_but_badly_formatted(rng: random.Random, category: str, members: list[str], split: str) -> str:
    three = members[:3]
    style = rng.randrange(7)
    if style == 0:
        return "\n".join(f"{k}. {m}" for k, m in enumerate(three, start=1))
    if style == 1:
        return "\n".join(f"{rng.choice(['*', '•'])} {m}" for m in three)
    if style == 2:
        return "\n".join(m.capitalize() if m.islower() else m for m in three)
    if style == 3:
        return rng.choice([f"Three {category} are {and_list(three)}.", f"You could say {and_list(three)}.",
                           f"Some {category}: {and_list(three)}."])
    if style == 4:
        return dashes(members[:5])  # five items, not three
    if style == 5:
        return f"{rng.choice(pool(OPENERS, TRAIN_OPENERS, split))} Here are three {category}:\n{dashes(three)}"
    return f"{dashes(three)}\n{rng.choice(pool(CLOSERS, TRAIN_CLOSERS, split))}"


def list_wrong(rng: random.Random, category: str, members: list[str]) -> str:
    """Three dash lines, but one member twice or an item from a related category."""
    two = members[:2]
    if rng.random() < 0.4:
        items = [*two, rng.choice(two)]
    else:
        related = LIST_CATEGORIES[category][1]
        row = {"kind": "list", "answer": LIST_CATEGORIES[category][0]}
        outsiders = [m for m in LIST_CATEGORIES[related][0] if m not in SECONDARY and not _names_member(row, m)]
        items = [*two, rng.choice(outsiders)]
    rng.shuffle(items)
    return dashes(items)


def _names_member(row: dict, item: str) -> bool:
    """Whether ``item`` would count as one of the row's members (so it cannot be the wrong one)."""
    return _member(item, [m.lower() for m in row["answer"]]) is not None


# ---------------------------------------------------------------------------------------------- contexts

def field_values(rng: random.Random) -> dict[str, str]:
    """One invented value for every field, twins distinct (a wrong answer taken from the context is wrong)."""
    opened = rng.randint(1890, 1995)
    staff, capacity = rng.randint(3, 60), rng.randint(80, 400)
    price, child = rng.randint(8, 40), rng.randint(2, 7)
    door, sign = rng.sample(COLOURS, 2)
    manager, founder = f"{word(rng)} {word(rng, 3)}", f"{word(rng)} {word(rng, 3)}"
    while founder.split()[1] == manager.split()[1] or founder.split()[0] == manager.split()[0]:
        founder = f"{word(rng)} {word(rng, 3)}"
    street = f"{word(rng)} {rng.choice(STREET_KINDS)}"
    parking = f"{word(rng)} {rng.choice(STREET_KINDS)}"
    while parking.split()[0] == street.split()[0]:
        parking = f"{word(rng)} {rng.choice(STREET_KINDS)}"
    return {"opened": str(opened), "renovated": str(rng.randint(opened + 8, 2023)), "staff": str(staff),
            "capacity": str(capacity), "price": f"${price}", "child_price": f"${child}",
            "opens": f"{rng.randint(6, 10)}:{rng.choice(['00', '15', '30', '45'])}",
            "closes": f"{rng.randint(16, 21)}:{rng.choice(['00', '15', '30', '45'])}",
            "manager": manager, "founder": founder, "door": door, "sign": sign, "street": street, "parking": parking}


def invented(rng: random.Random, field: str, true: dict[str, str]) -> str:
    """A plausible value for ``field`` that the context does not state."""
    values = field_values(rng)
    while values[field] in true.values():
        values = field_values(rng)
    return values[field]


def gold_of(field: str, v: str) -> list[str]:
    return [v, f"{v[1:]} dollars"] if v.startswith("$") else [v]


def is_numeric(field: str) -> bool:
    return CONTEXT_FIELDS[field][0] in NUMERIC


def context(rng: random.Random, place: str, town: str, fields: list[str], values: dict[str, str]) -> str:
    sentences = []
    for k, f in enumerate(fields):
        s = f"the {place} in {town}" if k == 0 else f"the {place}"
        v = values[f]
        text = rng.choice(CONTEXT_FIELDS[f][2]).format(S=s, s=s, v=v, v_cap=v.capitalize())
        sentences.append(text[0].upper() + text[1:])
    return " ".join(sentences)


def pick_fields(rng: random.Random, must: list[str], avoid: str | None = None) -> list[str]:
    """``must`` plus others, 3 or 4 fields in all, at least two of them numbers; shuffled, ``avoid`` left out."""
    n = rng.choice([3, 4])
    others = [f for f in sorted(CONTEXT_FIELDS) if f not in must and f != avoid]
    numbers = [f for f in others if is_numeric(f)]
    fields = list(must) + rng.sample(numbers, max(0, 2 - sum(is_numeric(f) for f in must)))
    fields += rng.sample([f for f in others if f not in fields], max(0, n - len(fields)))
    rng.shuffle(fields)
    return fields


def context_prompt(rng: random.Random, place: str, text: str, field: str, split: str) -> str:
    question = rng.choice(CONTEXT_FIELDS[field][3]).format(p=place)
    return f"Context: {text}\nQuestion: {question} {instruction(rng, CONTEXT_INSTRUCTIONS, split)}"


def state(rng: random.Random, field: str, v: str, place: str) -> str:
    text = rng.choice(CONTEXT_FIELDS[field][4]).format(v=v, p=place)
    return text[0].upper() + text[1:]


# ---------------------------------------------------------------------------------------------- all rows

def pairs() -> list[dict]:
    rng = random.Random(SEED)
    rows: list[dict] = []

    def add(kind: str, i: int, failure: str, split: str, prompt: str, chosen: str, rejected: str, answer: list[str]):
        row = {"id": f"{kind}-{i:03d}", "kind": kind, "failure": failure, "split": split, "prompt": prompt,
               "chosen": chosen, "rejected": rejected, "answer": list(answer)}
        problem = check_row(row)
        if problem:
            raise AssertionError(f"the generator wrote a bad row: {problem}")
        rows.append({f: row[f] for f in ROW_FIELDS})

    # one_word and number: chosen bare; format -> the right answer in a sentence; wrong_content -> a wrong
    # answer alone; verbose_vs_wrong -> the right answer padded (chosen) against a wrong one alone (rejected)
    for kind in ("one_word", "number"):
        if kind == "one_word":
            items = one_word_items()
            rng.shuffle(items)
            items = items[:PER_KIND]
            options = ONE_WORD_INSTRUCTIONS
        else:
            items = number_items(rng, PER_KIND)
            options = NUMBER_INSTRUCTIONS
        splits = [split_of(i, len(items)) for i in range(len(items))]
        for i, (item, split, failure) in enumerate(zip(items, splits, failures_by_split(kind, splits, rng))):
            right = item["gold"][0]
            wrong = item["wrong"] if isinstance(item["wrong"], str) else rng.choice(item["wrong"])
            sentence = rng.choice(item["frames"])
            prompt = f"{item['q']} {instruction(rng, options, split)}"
            if failure == "format":
                rejected = sentence if rng.random() < 0.5 else verbose(rng, sentence, split)
                add(kind, i, failure, split, prompt, right, rejected, item["gold"])
            elif failure == "wrong_content":
                add(kind, i, failure, split, prompt, right, wrong, item["gold"])
            else:
                add(kind, i, failure, split, prompt, verbose(rng, sentence, split), wrong, item["gold"])

    # list: two prompts per category, both in the category's split
    categories = list(LIST_CATEGORIES)
    rng.shuffle(categories)
    splits = [split_of(c // 2, len(categories)) for c in range(2 * len(categories))]
    failures = failures_by_split("list", splits, rng)
    for i, (split, failure) in enumerate(zip(splits, failures)):
        category = categories[i // 2]
        gold = LIST_CATEGORIES[category][0]
        members = rng.sample([m for m in gold if m not in SECONDARY], 5)
        prompt = f"{LIST_STEMS[i % 2].format(c=category)} {instruction(rng, LIST_INSTRUCTIONS, split)}"
        right = dashes(members[:3])
        if failure == "format":
            add("list", i, failure, split, prompt, right,
                list_right_but_badly_formatted(rng, category, members, split), gold)
        elif failure == "wrong_content":
            add("list", i, failure, split, prompt, right, list_wrong(rng, category, members), gold)
        else:
            opener = rng.choice(pool(OPENERS, TRAIN_OPENERS, split))
            closer = rng.choice(pool(CLOSERS, TRAIN_CLOSERS, split))
            chosen = rng.choice([f"{opener} Here are three {category}:\n{right}", f"{right}\n{closer}",
                                 f"{opener} Three {category} are {and_list(members[:3])}. {closer}"])
            add("list", i, failure, split, prompt, chosen, list_wrong(rng, category, members[2:]), gold)

    # sentence: wrong content is one sentence that answers a different question
    facts = list(SENTENCE_FACTS)
    rng.shuffle(facts)
    facts = facts[:PER_KIND]
    splits = [split_of(i, len(facts)) for i in range(len(facts))]
    for i, ((q, a), split, failure) in enumerate(zip(facts, splits, failures_by_split("sentence", splits, rng))):
        keys = SENTENCE_KEYS[q]
        prompt = instruction(rng, SENTENCE_INSTRUCTIONS, split).format(q=q)
        wrong = rng.choice([s for q2, s in SENTENCE_FACTS if q2 != q and not _says(s, keys)])
        if failure == "format":
            ramble = rng.choice(pool(RAMBLE, TRAIN_RAMBLE, split))
            rejected = rng.choice([f"{ramble} {a}", f"{a} {ramble}", verbose(rng, a, split)])
            add("sentence", i, failure, split, prompt, a, rejected, keys)
        elif failure == "wrong_content":
            add("sentence", i, failure, split, prompt, a, wrong, keys)
        else:
            add("sentence", i, failure, split, prompt, verbose(rng, a, split), wrong, keys)

    # grounded and unknown: invented contexts
    places = [(rng.choice(PLACES), word(rng, rng.choice([2, 3]))) for _ in range(2 * PER_KIND)]
    splits = [split_of(i, PER_KIND) for i in range(PER_KIND)]
    numeric = [f for f in CONTEXT_FIELDS if is_numeric(f)]
    textual = [f for f in CONTEXT_FIELDS if not is_numeric(f)]
    for i, (split, failure) in enumerate(zip(splits, failures_by_split("grounded", splits, rng))):
        place, town = places[i]
        values = field_values(rng)
        field = rng.choice(numeric if failure == "wrong_number" else textual if failure == "wrong_content"
                           else sorted(CONTEXT_FIELDS))
        twin = CONTEXT_FIELDS[field][1]
        fields = pick_fields(rng, [field, twin] if failure != "format" else [field])
        prompt = context_prompt(rng, place, context(rng, place, town, fields, values), field, split)
        right = state(rng, field, values[field], place)
        if failure == "format":
            if rng.random() < 0.5:
                rejected = f"{rng.choice(pool(HEDGES, TRAIN_HEDGES, split))} {right}"
            else:
                rejected = verbose(rng, right, split)
        else:
            rejected = state(rng, field, values[twin], place)
        add("grounded", i, failure, split, prompt, right, rejected, gold_of(field, values[field]))

    for i, split in enumerate(splits):
        place, town = places[PER_KIND + i]
        values = field_values(rng)
        field = rng.choice(sorted(CONTEXT_FIELDS))
        twin = CONTEXT_FIELDS[field][1]
        with_twin = rng.random() < 0.5
        fields = pick_fields(rng, [twin] if with_twin else [], avoid=field)
        if not with_twin and twin in fields:
            with_twin = True
        prompt = context_prompt(rng, place, context(rng, place, town, fields, values), field, split)
        stated = {f: values[f] for f in fields}
        guess = values[twin] if with_twin and rng.random() < 0.7 else invented(rng, field, stated)
        add("unknown", i, "invented", split, prompt, rng.choice(pool(REFUSALS, TRAIN_REFUSALS, split)),
            state(rng, field, guess, place), ["I don't know"])

    prompts = Counter(r["prompt"] for r in rows)
    duplicates = [p for p, n in prompts.items() if n > 1]
    assert not duplicates, f"{len(duplicates)} prompts appear twice, e.g. {duplicates[0]!r}"
    return rows


def _says(sentence: str, keys: list[str]) -> bool:
    from utils.preferences import correct
    return correct({"kind": "sentence", "answer": keys}, sentence)


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
