"""Retrieval-augmented generation: the parts a test must pin down.

- the knowledge base (``datasets/knowledge_base``): documents split into ``##`` sections with ids
  ``doc_id#slug``, and the question set;
- a structure-aware chunker with a token limit and overlap (every chunk is a span of its section,
  so the text is preserved and the overlap can be checked);
- retrieval metrics (recall@k with any or all gold sections, reciprocal rank);
- prompt packing under a token budget, with sources;
- refusing from the retriever's score: the trade-off as the threshold moves, and picking one;
- grading a free-form answer: normalised containment of the gold answer, and refusals.

The retrieval itself (normalise, dot product, top-k; FAISS; BM25) stays in notebook 06, visible.
Token counts come from a ``count`` function (text -> int), so any tokenizer works, e.g.
``functools.partial(utils.tokens.count_tokens, tokenizer)``.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from . import DATASETS

KB_DIR = DATASETS / "knowledge_base"
Counter = Callable[[str], int]


class RagError(ValueError):
    """Bad input to a RAG helper: an empty document or query, an impossible limit or budget."""


# ---------------------------------------------------------------- knowledge base


def slug(heading: str) -> str:
    """The data card's slug rule: lowercase, runs of anything but a-z0-9 become one hyphen, trimmed."""
    return re.sub(r"[^a-z0-9]+", "-", heading.lower()).strip("-")


@dataclass(frozen=True)
class Section:
    id: str  # "doc_id#slug"
    doc_id: str
    title: str  # the document's "# Title"
    heading: str  # the "## Heading" text
    text: str  # the whole section, from its "##" line to the next one (stripped)


def split_sections(doc_id: str, markdown: str) -> list[Section]:
    """A Markdown document's ``##`` sections (``###`` subsections stay inside their section)."""
    if not isinstance(markdown, str) or not markdown.strip():
        raise RagError(f"document {doc_id!r} is empty")
    title_match = re.search(r"^# (.+)$", markdown, flags=re.M)
    title = title_match.group(1).strip() if title_match else doc_id
    starts = [m.start() for m in re.finditer(r"^## ", markdown, flags=re.M)]
    if not starts:
        raise RagError(f"document {doc_id!r} has no '## ' section")
    sections, seen = [], set()
    for start, end in zip(starts, starts[1:] + [len(markdown)]):
        text = markdown[start:end].strip()
        heading = text.splitlines()[0][3:].strip()
        sid = f"{doc_id}#{slug(heading)}"
        if sid in seen:
            raise RagError(f"two sections of {doc_id!r} have the slug {slug(heading)!r}")
        seen.add(sid)
        sections.append(Section(sid, doc_id, title, heading, text))
    return sections


def load_knowledge_base(directory: str | Path = KB_DIR) -> tuple[list[Section], list[dict]]:
    """All sections of ``docs/*.md`` (sorted by file name) and the questions of ``questions.jsonl``."""
    directory = Path(directory)
    paths = sorted((directory / "docs").glob("*.md"))
    if not paths:
        raise RagError(f"no documents in {directory / 'docs'}")
    sections = [s for p in paths for s in split_sections(p.stem, p.read_text(encoding="utf-8"))]
    with open(directory / "questions.jsonl", encoding="utf-8") as f:
        questions = [json.loads(line) for line in f if line.strip()]
    return sections, questions


# ---------------------------------------------------------------- chunking


@dataclass(frozen=True)
class Chunk:
    section_id: str
    prefix: str  # context line put in front of the body (document title), counted in the limit
    body: str  # section.text[start:end]
    start: int
    end: int

    @property
    def text(self) -> str:
        return f"{self.prefix}\n{self.body}" if self.prefix else self.body


def _words(text: str, start: int, end: int) -> list[tuple[int, int]]:
    return [(start + m.start(), start + m.end()) for m in re.finditer(r"\S+", text[start:end])]


def chunk_section(section: Section, count: Counter, max_tokens: int = 200, overlap: int = 40,
                  prefix: str | None = None) -> list[Chunk]:
    """Split one section into chunks of at most ``max_tokens`` tokens (prefix included).

    Chunks are spans of ``section.text`` cut between words, preferably at a paragraph break
    (a blank line) in the second half of the chunk. Each chunk after the first starts with the
    last words of the one before, as many as fit in ``overlap`` tokens. A section that fits is
    one chunk. ``prefix`` defaults to the document title ("" for none).
    """
    if not isinstance(max_tokens, int) or not isinstance(overlap, int):
        raise RagError("max_tokens and overlap must be ints")
    if overlap < 0 or overlap >= max_tokens:
        raise RagError(f"overlap must be in [0, max_tokens); got overlap={overlap}, max_tokens={max_tokens}")
    text = section.text
    if not text.strip():
        raise RagError(f"section {section.id!r} is empty")
    prefix = section.title if prefix is None else prefix

    def cost(a: int, b: int) -> int:
        return count(f"{prefix}\n{text[a:b]}" if prefix else text[a:b])

    if cost(0, 0) >= max_tokens:
        raise RagError(f"the prefix {prefix!r} alone uses the whole limit of {max_tokens} tokens")

    # Units: words, except that a word too long for one chunk is cut into pieces that fit.
    units: list[tuple[int, int]] = []
    room = max_tokens - cost(0, 0)
    for a, b in _words(text, 0, len(text)):
        # a word costs at most 4 tokens per character (a byte-level BPE on 4-byte characters)
        while 4 * (b - a) > room and cost(a, b) > max_tokens:
            lo, hi = a + 1, b  # the longest piece a..cut that fits (cost grows with length)
            while lo < hi:
                mid = (lo + hi + 1) // 2
                lo, hi = (mid, hi) if cost(a, mid) <= max_tokens else (lo, mid - 1)
            units.append((a, lo))
            a = lo
        units.append((a, b))
    breaks = {i for i in range(1, len(units)) if "\n\n" in text[units[i - 1][1]:units[i][0]]}

    chunks: list[Chunk] = []
    i, last = 0, -1  # first unit of the chunk, last unit of the chunk before
    while True:
        # the furthest unit j such that units[i..j] fit
        lo, hi = i, len(units) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            lo, hi = (mid, hi) if cost(units[i][0], units[mid][1]) <= max_tokens else (lo, mid - 1)
        j = lo
        if j < len(units) - 1:  # not the end: prefer to stop at a paragraph break in the second half
            para = [b - 1 for b in breaks if max(i + (j - i) // 2, last) < b - 1 <= j]
            j = max(para) if para else j
        a, b = units[i][0], units[j][1]
        chunks.append(Chunk(section.id, prefix, text[a:b], a, b))
        if j == len(units) - 1:
            return chunks
        # next start: the earliest unit after i whose tail up to j fits in `overlap` tokens
        k = j + 1
        while k - 1 > i and count(text[units[k - 1][0]:b]) <= overlap:
            k -= 1
        while k <= j and cost(units[k][0], units[j + 1][1]) > max_tokens:
            k += 1  # the overlap must leave room for at least one new unit
        i, last = k, j


def chunk_sections(sections: Iterable[Section], count: Counter, max_tokens: int = 200,
                   overlap: int = 40) -> list[Chunk]:
    return [c for s in sections for c in chunk_section(s, count, max_tokens, overlap)]


# ---------------------------------------------------------------- metrics


def _check_k(k) -> None:
    if not isinstance(k, int) or k < 1:
        raise RagError(f"k must be a positive int, not {k!r}")


def recall_at_k(ranked: Sequence[str], gold: Iterable[str], k: int, need: str = "any") -> float:
    """1.0 if the top ``k`` ids contain a gold id (``need="any"``) or every gold id (``"all"``), else 0.0.

    ``ranked`` may repeat an id (two chunks of one section); each position counts once.
    Questions without gold ids (unanswerable) have no recall: that is an error here.
    """
    _check_k(k)
    gold = set(gold)
    if not gold:
        raise RagError("recall needs at least one gold id (leave unanswerable questions out)")
    if need not in ("any", "all"):
        raise RagError(f"need must be 'any' or 'all', not {need!r}")
    top = set(ranked[:k])
    return float(bool(top & gold) if need == "any" else gold <= top)


def reciprocal_rank(ranked: Sequence[str], gold: Iterable[str]) -> float:
    """1 / (position of the first gold id, counting from 1); 0.0 if none is ranked."""
    gold = set(gold)
    if not gold:
        raise RagError("reciprocal rank needs at least one gold id")
    return next((1.0 / r for r, i in enumerate(ranked, start=1) if i in gold), 0.0)


def retrieval_scores(rankings: Sequence[Sequence[str]], golds: Sequence[Iterable[str]],
                     ks: Sequence[int] = (1, 5, 10), need: str = "any") -> dict[str, float]:
    """Mean recall@k for each k (``need`` as in :func:`recall_at_k`) and MRR over the questions."""
    if len(rankings) != len(golds) or not rankings:
        raise RagError(f"need one ranking per question and at least one: {len(rankings)} vs {len(golds)}")
    n = len(rankings)
    out = {f"recall@{k}": sum(recall_at_k(r, g, k, need) for r, g in zip(rankings, golds)) / n for k in ks}
    out["MRR"] = sum(reciprocal_rank(r, g) for r, g in zip(rankings, golds)) / n
    return out


# ---------------------------------------------------------------- prompt packing


@dataclass(frozen=True)
class Packed:
    text: str  # the context block that goes into the prompt
    sources: list[str]  # section ids of the chunks packed, in order
    tokens: int  # count(text)


def pack_context(chunks: Sequence[Chunk], count: Counter, budget: int, best_last: bool = False) -> Packed:
    """The best chunks, in rank order, that fit in ``budget`` tokens, each labelled with its rank and source.

    Packing stops at the first chunk that would overflow the budget (so the context is always a
    prefix of the ranking). ``best_last`` writes the packed chunks in reverse, the best one nearest
    the question that follows the context (small models read the end of a prompt best); the labels
    keep the ranks and ``sources`` stays in rank order. A budget too small for even the best chunk is
    an error, not an empty context that the model would silently answer from.
    """
    if not isinstance(budget, int) or budget <= 0:
        raise RagError(f"budget must be a positive int, not {budget!r}")
    if not chunks:
        raise RagError("nothing to pack: no chunks were retrieved")
    blocks: list[str] = []
    sources: list[str] = []
    for rank, chunk in enumerate(chunks, start=1):
        block = f"[{rank}] ({chunk.section_id})\n{chunk.text}"
        if count("\n\n".join(blocks + [block])) > budget:
            break
        blocks.append(block)
        sources.append(chunk.section_id)
    if not blocks:
        need = count(f"[1] ({chunks[0].section_id})\n{chunks[0].text}")
        raise RagError(f"a budget of {budget} tokens is smaller than the best chunk ({need} tokens)")
    text = "\n\n".join(blocks[::-1] if best_last else blocks)
    return Packed(text, sources, count(text))


# ---------------------------------------------------------------- refusing from the retriever's score


@dataclass(frozen=True)
class Tradeoff:
    threshold: float  # refuse when the best retrieval score is below this
    unanswerable_refused: float  # share of unanswerable questions refused: want it high
    answerable_refused: float  # share of answerable questions refused wrongly: want it low


def refusal_tradeoff(scores: Sequence[float], answerable: Sequence[bool],
                     thresholds: Sequence[float] | None = None) -> list[Tradeoff]:
    """Both refusal shares for each threshold, refusing a question whose best score is below it.

    ``scores[i]`` is question i's best retrieval score (e.g. the top cosine), ``answerable[i]``
    whether the collection answers it. The default thresholds are every distinct score, plus one
    above them all (refuse everything); the lowest refuses nothing.
    """
    scores = [float(s) for s in scores]
    answerable = [bool(a) for a in answerable]
    if len(scores) != len(answerable):
        raise RagError(f"need one answerable flag per score: {len(scores)} scores, {len(answerable)} flags")
    if any(s != s for s in scores):
        raise RagError("a score is NaN: every question needs a real retrieval score")
    n_yes, n_no = sum(answerable), len(answerable) - sum(answerable)
    if not n_yes or not n_no:
        raise RagError(f"need answerable and unanswerable questions to trade one off against the other; "
                       f"got {n_yes} answerable and {n_no} unanswerable")
    if thresholds is None:
        distinct = sorted(set(scores))
        thresholds = distinct + [distinct[-1] + 1.0]
    curve = []
    for t in sorted(float(t) for t in thresholds):
        refused = [s < t for s in scores]
        curve.append(Tradeoff(t, sum(r for r, a in zip(refused, answerable) if not a) / n_no,
                              sum(r for r, a in zip(refused, answerable) if a) / n_yes))
    return curve


def pick_threshold(curve: Sequence[Tradeoff], max_wrong: float = 0.15) -> Tradeoff:
    """The point refusing the most unanswerable questions while refusing at most ``max_wrong`` of the answerable.

    Ties go to the lowest threshold (the fewest wrong refusals).
    """
    if not 0 <= max_wrong <= 1:
        raise RagError(f"max_wrong is a share of questions, in [0, 1]; got {max_wrong!r}")
    allowed = [p for p in curve if p.answerable_refused <= max_wrong]
    if not allowed:
        raise RagError(f"no threshold refuses at most {max_wrong:.0%} of the answerable questions; "
                       "include a threshold at or below the lowest score (it refuses nothing)")
    return max(allowed, key=lambda p: (p.unanswerable_refused, -p.answerable_refused, -p.threshold))


# ---------------------------------------------------------------- grading

_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"), "-")
_CURRENCY = re.compile(r"[€$£]|\b(?:eur|euros?|usd|dollars?|gbp|pounds?)\b")


def normalize(text: str) -> str:
    """Lowercase, Unicode-compatible form; currency signs/words, thousands commas and spare punctuation gone.

    "€14.2 Million" -> "14.2 million"; "1,200 EUR" -> "1200"; "7–5" -> "7-5".
    """
    if not isinstance(text, str):
        raise TypeError(f"expected a str, not {type(text).__name__}")
    t = unicodedata.normalize("NFKC", text).translate(_DASHES).lower()
    t = _CURRENCY.sub(" ", t)
    t = re.sub(r"(?<=\d),(?=\d{3}\b)", "", t)  # 1,200 -> 1200
    t = re.sub(r"[^\w\s.:/%+-]", " ", t)  # keep what numbers, times and codes use
    t = re.sub(r"(?<!\d)[.:/+-]|[.:/+-](?!\d)", " ", t)  # punctuation outside numbers
    return " ".join(t.split())


def contains_answer(response: str, gold: str) -> bool:
    """Whether the normalised gold answer occurs in the normalised response, on word boundaries."""
    g = normalize(gold)
    if not g:
        raise RagError(f"the gold answer {gold!r} is empty after normalisation")
    return re.search(rf"(?<![\w.]){re.escape(g)}(?![\w]|\.\d)", normalize(response)) is not None


REFUSAL = "I don't know."
_REFUSAL_RE = re.compile(
    r"\b(?:i )?(?:don ?t|do not|does not|doesn ?t|cannot|can ?t|could not|couldn ?t) "
    r"(?:know|find|answer|say|tell|provide|determine|contain|mention|have)"
    r"|\bno (?:information|answer|mention|data)\b|\bnot (?:mentioned|provided|specified|stated|available|included)\b"
    r"|\bunknown\b"
)


def is_refusal(response: str) -> bool:
    """Whether a response declines to answer ("I don't know", "the context does not mention ...")."""
    return _REFUSAL_RE.search(normalize(response)) is not None
