"""utils.rag: the knowledge base, the chunker's invariants, the metrics, packing and grading."""

import re

import pytest

from utils import rag

WORDS = lambda text: len(text.split())  # a stand-in tokenizer: one token per word  # noqa: E731


def section(text, title="Doc", sid="doc#s"):
    return rag.Section(sid, sid.split("#")[0], title, "S", text)


LONG = "## Heading\n\n" + "\n\n".join(
    " ".join(f"p{p}w{w}" for w in range(n)) for p, n in enumerate([7, 30, 3, 55, 12, 1, 40])
)


# ---------------------------------------------------------------- knowledge base


def test_slug_rule_from_the_data_card():
    assert rag.slug("Error codes & fixes") == "error-codes-fixes"
    assert rag.slug("Version 3.4.0 (16 June 2031)") == "version-3-4-0-16-june-2031"
    assert rag.slug("  --Hi--  ") == "hi"


def test_split_sections_ids_titles_and_subsections():
    doc = "# Title\n\n## First part\nA\n### Sub\nB\n\n## Second: part\nC\n"
    s = rag.split_sections("d", doc)
    assert [x.id for x in s] == ["d#first-part", "d#second-part"]
    assert s[0].title == "Title" and "### Sub" in s[0].text and s[0].text.startswith("## First part")


@pytest.mark.parametrize("bad", ["", "   \n", None])
def test_empty_document_is_a_clear_error(bad):
    with pytest.raises(rag.RagError, match="empty"):
        rag.split_sections("d", bad)


def test_document_without_sections_and_duplicate_slugs_are_errors():
    with pytest.raises(rag.RagError, match="no '## ' section"):
        rag.split_sections("d", "# T\njust text")
    with pytest.raises(rag.RagError, match="slug"):
        rag.split_sections("d", "## A b\nx\n## A-B\ny")


def test_knowledge_base_is_consistent_with_its_data_card():
    sections, questions = rag.load_knowledge_base()
    ids = {s.id: s for s in sections}
    assert len({s.doc_id for s in sections}) >= 30 and len(sections) == len(ids)
    assert sum(len(s.text.split()) for s in sections) >= 15_000
    assert len(questions) >= 80 and len({q["id"] for q in questions}) == len(questions)
    assert sum(q["answer"] is None for q in questions) >= 15
    for q in questions:
        assert set(q) == {"id", "question", "answer", "sources", "kind"}
        if q["answer"] is None:
            assert q["sources"] == [] and q["kind"] == "unanswerable"
            continue
        assert all(s in ids for s in q["sources"]), q["id"]
        assert any(q["answer"].lower() in ids[s].text.lower() for s in q["sources"]), q["id"]
        if q["kind"] == "multi-section":
            assert len(q["sources"]) >= 2, q["id"]


# ---------------------------------------------------------------- chunker


@pytest.mark.parametrize("max_tokens,overlap", [(10, 0), (10, 3), (20, 5), (25, 24), (64, 16), (500, 50)])
def test_chunker_invariants(max_tokens, overlap):
    s = section(LONG)
    chunks = rag.chunk_section(s, WORDS, max_tokens, overlap)
    # no chunk over the limit (prefix included)
    assert all(WORDS(c.text) <= max_tokens for c in chunks)
    # every chunk is a span of the section, in order, and together they cover all of it
    assert all(c.body == s.text[c.start:c.end] and c.section_id == s.id for c in chunks)
    assert chunks[0].start == 0 and chunks[-1].end == len(s.text)
    assert all(b.start > a.start and b.end > a.end for a, b in zip(chunks, chunks[1:]))
    for a, b in zip(chunks, chunks[1:]):
        assert b.start <= a.end or not s.text[a.end:b.start].strip(), "text between chunks was lost"
        shared = s.text[b.start:a.end] if b.start < a.end else ""
        assert WORDS(shared) <= overlap  # overlap respected ...
        if overlap >= 3:
            assert WORDS(shared) >= 1  # ... and used when it can be
    # text preserved: the words, read back with the overlaps removed, are the section's words
    words, end = [], 0
    for c in chunks:
        words += s.text[max(c.start, end):c.end].split()
        end = c.end
    assert words == s.text.split()


def test_chunker_prefers_paragraph_breaks_and_keeps_short_sections_whole():
    s = section(LONG)
    assert len(rag.chunk_section(s, WORDS, 10_000, 10)) == 1
    chunks = rag.chunk_section(s, WORDS, 60, 0, prefix="")
    assert chunks[0].body.endswith("p2w2")  # 1 + 7 + 30 + 3 = 41 words: stops at the break, not mid-paragraph
    assert chunks[0].text == chunks[0].body


def test_chunker_cuts_a_word_longer_than_the_limit():
    chars = lambda t: len(t)  # noqa: E731  a 'tokenizer' with one token per character
    s = section("short " + "x" * 50 + " tail", title="T")
    chunks = rag.chunk_section(s, chars, 20, 0)
    assert all(len(c.text) <= 20 for c in chunks)
    assert "".join(c.body for c in chunks).replace(" ", "") == s.text.replace(" ", "")


def test_chunker_with_a_real_tokenizer_and_the_document_title():
    tokenizers = pytest.importorskip("tokenizers")
    tok = tokenizers.Tokenizer(tokenizers.models.WordLevel({"[UNK]": 0}, unk_token="[UNK]"))
    tok.pre_tokenizer = tokenizers.pre_tokenizers.Whitespace()
    count = lambda t: len(tok.encode(t).ids)  # noqa: E731
    s = section(LONG, title="A long document title")
    chunks = rag.chunk_section(s, count, 30, 8)
    assert all(c.text.startswith("A long document title\n") and count(c.text) <= 30 for c in chunks)


@pytest.mark.parametrize("max_tokens,overlap", [(10, 10), (10, -1), (10, 20), (10.0, 2)])
def test_chunker_bad_limits(max_tokens, overlap):
    with pytest.raises(rag.RagError):
        rag.chunk_section(section(LONG), WORDS, max_tokens, overlap)


def test_chunker_prefix_too_long_and_empty_section():
    with pytest.raises(rag.RagError, match="prefix"):
        rag.chunk_section(section(LONG, title="one two three four five"), WORDS, 5, 0)
    with pytest.raises(rag.RagError, match="empty"):
        rag.chunk_section(section("  \n "), WORDS, 10, 2)


# ---------------------------------------------------------------- metrics


def test_recall_at_k_by_hand():
    ranked = ["a", "b", "a", "c", "d"]
    assert rag.recall_at_k(ranked, {"c"}, 3) == 0.0
    assert rag.recall_at_k(ranked, {"c"}, 4) == 1.0
    assert rag.recall_at_k(ranked, ["x", "b"], 2) == 1.0
    assert rag.recall_at_k(ranked, ["b", "d"], 4, need="all") == 0.0
    assert rag.recall_at_k(ranked, ["b", "d"], 5, need="all") == 1.0
    assert rag.recall_at_k(ranked, ["z"], 100) == 0.0  # k longer than the list


def test_reciprocal_rank_and_scores_by_hand():
    assert rag.reciprocal_rank(["a", "b", "c"], ["c"]) == pytest.approx(1 / 3)
    assert rag.reciprocal_rank(["a", "b", "c"], ["a", "c"]) == 1.0
    assert rag.reciprocal_rank(["a", "b"], ["z"]) == 0.0
    scores = rag.retrieval_scores([["a", "b"], ["b", "a"], ["x", "y"]], [["a"], ["a"], ["a"]], ks=(1, 2))
    assert scores == pytest.approx({"recall@1": 1 / 3, "recall@2": 2 / 3, "MRR": (1 + 0.5 + 0) / 3})


def test_all_sections_recall_is_at_most_any_section_recall():
    rankings = [["a", "b", "c"], ["a", "x", "y"], ["x", "y", "b"]]
    golds = [["a", "b"], ["a", "b"], ["b"]]
    anyr = rag.retrieval_scores(rankings, golds, ks=(2, 3))
    allr = rag.retrieval_scores(rankings, golds, ks=(2, 3), need="all")
    assert anyr["recall@2"] == pytest.approx(2 / 3) and allr["recall@2"] == pytest.approx(1 / 3)
    assert anyr["recall@3"] == 1.0 and allr["recall@3"] == pytest.approx(2 / 3)
    assert allr["MRR"] == anyr["MRR"]  # the first gold section, whatever ``need`` says


@pytest.mark.parametrize("call", [
    lambda: rag.recall_at_k(["a"], [], 1),  # unanswerable question: no gold
    lambda: rag.recall_at_k(["a"], ["a"], 0),
    lambda: rag.recall_at_k(["a"], ["a"], 1, need="most"),
    lambda: rag.reciprocal_rank(["a"], set()),
    lambda: rag.retrieval_scores([], []),
    lambda: rag.retrieval_scores([["a"]], [["a"], ["b"]]),
])
def test_metrics_bad_input(call):
    with pytest.raises(rag.RagError):
        call()


# ---------------------------------------------------------------- refusing from the retriever's score


def test_refusal_tradeoff_by_hand():
    scores = [0.9, 0.8, 0.4, 0.7, 0.3]
    answerable = [True, True, True, False, False]
    curve = rag.refusal_tradeoff(scores, answerable)
    assert [p.threshold for p in curve] == [0.3, 0.4, 0.7, 0.8, 0.9, 1.9]
    assert curve[0] == rag.Tradeoff(0.3, 0.0, 0.0)  # the lowest score refuses nothing
    assert curve[2] == rag.Tradeoff(0.7, 0.5, pytest.approx(1 / 3))  # 0.3 and 0.4 refused
    assert (curve[-1].unanswerable_refused, curve[-1].answerable_refused) == (1.0, 1.0)
    shares = [(p.unanswerable_refused, p.answerable_refused) for p in curve]
    assert shares == sorted(shares)  # a higher threshold never refuses less


def test_pick_threshold_respects_the_wrong_refusal_limit():
    curve = rag.refusal_tradeoff([0.9, 0.8, 0.4, 0.7, 0.3], [True, True, True, False, False])
    assert rag.pick_threshold(curve, max_wrong=0.0) == rag.Tradeoff(0.4, 0.5, 0.0)
    best = rag.pick_threshold(curve, max_wrong=0.34)
    assert (best.threshold, best.unanswerable_refused) == (0.8, 1.0)  # 0.7's refusals too, plus 0.7 itself
    assert rag.pick_threshold(curve, max_wrong=1.0).unanswerable_refused == 1.0


def test_pick_threshold_on_scores_that_do_not_separate():
    # unanswerable questions scoring as high as answerable ones: the only allowed point refuses nothing
    curve = rag.refusal_tradeoff([0.5, 0.6, 0.7, 0.5, 0.6, 0.7], [True] * 3 + [False] * 3)
    assert rag.pick_threshold(curve, max_wrong=0.15) == rag.Tradeoff(0.5, 0.0, 0.0)


@pytest.mark.parametrize("scores, answerable, match", [
    ([0.5, 0.6], [True], "one answerable flag per score"),
    ([0.5, float("nan")], [True, False], "NaN"),
    ([0.5, 0.6], [True, True], "0 unanswerable"),
    ([], [], "0 answerable"),
])
def test_refusal_tradeoff_bad_input(scores, answerable, match):
    with pytest.raises(rag.RagError, match=match):
        rag.refusal_tradeoff(scores, answerable)


def test_pick_threshold_bad_input():
    curve = rag.refusal_tradeoff([0.9, 0.3], [True, False], thresholds=[0.95])  # refuses every question
    with pytest.raises(rag.RagError, match="no threshold refuses at most 15%"):
        rag.pick_threshold(curve)
    with pytest.raises(rag.RagError, match="in \\[0, 1\\]"):
        rag.pick_threshold(curve, max_wrong=15)


# ---------------------------------------------------------------- packing


def chunk(sid, words):
    body = " ".join(f"w{i}" for i in range(words))
    return rag.Chunk(sid, "", body, 0, len(body))


def test_pack_context_keeps_the_best_that_fit_in_order_with_sources():
    ranked = [chunk("a#1", 10), chunk("b#2", 10), chunk("c#3", 30), chunk("d#4", 2)]
    packed = rag.pack_context(ranked, WORDS, 25)
    assert packed.sources == ["a#1", "b#2"]  # stops at the first chunk that would overflow
    assert packed.tokens == WORDS(packed.text) <= 25
    assert packed.text.startswith("[1] (a#1)\n") and "\n\n[2] (b#2)\n" in packed.text
    assert rag.pack_context(ranked, WORDS, 1000).sources == ["a#1", "b#2", "c#3", "d#4"]


def test_pack_context_best_last_packs_the_same_chunks_in_reverse():
    ranked = [chunk("a#1", 10), chunk("b#2", 10), chunk("c#3", 30)]
    first, last = rag.pack_context(ranked, WORDS, 25), rag.pack_context(ranked, WORDS, 25, best_last=True)
    assert last.sources == first.sources == ["a#1", "b#2"]  # the budget keeps the best either way
    assert last.text == "\n\n".join(reversed(first.text.split("\n\n")))
    assert last.text.startswith("[2] (b#2)\n") and last.text.endswith(ranked[0].text)


def test_pack_context_budget_smaller_than_one_chunk_is_a_clear_error():
    with pytest.raises(rag.RagError, match="smaller than the best chunk"):
        rag.pack_context([chunk("a#1", 10)], WORDS, 5)


@pytest.mark.parametrize("chunks,budget", [([], 10), ([chunk("a#1", 1)], 0), ([chunk("a#1", 1)], 2.5)])
def test_pack_context_bad_input(chunks, budget):
    with pytest.raises(rag.RagError):
        rag.pack_context(chunks, WORDS, budget)


# ---------------------------------------------------------------- grading


@pytest.mark.parametrize("response,gold", [
    ("It costs €39 per device.", "€39"),
    ("EUR 39", "€39"),
    ("39 euros.", "€39"),
    ("Revenue was € 14.2 million", "€14.2 million"),
    ("The final ended 7–5.", "7-5"),
    ("She finished in 2:08:41!", "2:08:41"),
    ("Error AQ-104 means the probe is dry", "AQ-104"),
    ("A 1,200 m climb", "1200 m"),
    ("TEAM HALVORSEN won", "Team Halvorsen"),
])
def test_contains_answer_after_normalisation(response, gold):
    assert rag.contains_answer(response, gold)


@pytest.mark.parametrize("response,gold", [
    ("It costs €139.", "€39"),
    ("It costs €39.5", "€39"),
    ("24 days", "4 days"),
    ("I don't know.", "24 months"),
])
def test_contains_answer_is_not_fooled(response, gold):
    assert not rag.contains_answer(response, gold)


def test_normalize_and_bad_input():
    assert rag.normalize("  Hello,  World —  v3.4.0. ") == "hello world v3.4.0"
    with pytest.raises(TypeError):
        rag.normalize(None)
    with pytest.raises(rag.RagError, match="empty"):
        rag.contains_answer("anything", "€")


@pytest.mark.parametrize("response", [
    "I don't know.", "I do not know", "The context does not mention the CFO.", "Sorry, I cannot answer that.",
    "There is no information about this.", "The weight is not provided in the context.",
])
def test_refusals(response):
    assert rag.is_refusal(response)


@pytest.mark.parametrize("response", ["24 months", "Team Halvorsen won 7-5.", "It is known as the Hub H1."])
def test_answers_are_not_refusals(response):
    assert not rag.is_refusal(response)


def test_refusal_phrase_counts_as_refusal():
    assert rag.is_refusal(rag.REFUSAL) and not re.search(r"\d", rag.REFUSAL)


@pytest.mark.parametrize("seed", range(20))
def test_chunker_invariants_on_random_sections(seed):
    import random

    rng = random.Random(seed)
    paragraphs = [" ".join(f"s{seed}p{p}w{w}" for w in range(rng.randint(1, 60))) for p in range(rng.randint(1, 8))]
    s = section("## H\n\n" + "\n\n".join(paragraphs))
    max_tokens = rng.randint(3, 80)
    overlap = rng.randint(0, max_tokens - 1)
    chunks = rag.chunk_section(s, WORDS, max_tokens, overlap)
    assert all(WORDS(c.text) <= max_tokens for c in chunks)
    assert all(b.start > a.start and b.end > a.end and b.start <= a.end + 2 for a, b in zip(chunks, chunks[1:]))
    assert all(WORDS(s.text[b.start:a.end]) <= overlap for a, b in zip(chunks, chunks[1:]) if b.start < a.end)
    assert chunks[0].start == 0 and chunks[-1].end == len(s.text)
