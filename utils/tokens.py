"""Token counting, coloured token rendering and the context-window budget.

Shared by the tokenizing, instruction-formatting, fine-tuning and RAG notebooks.
Works with any Hugging Face *fast* tokenizer.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

# Soft pastel backgrounds, cycled so neighbouring tokens differ.
PALETTE = ("#fde2e4", "#d8f3dc", "#dbe7fb", "#fff1c1", "#eadcf8", "#d3f2f2")


def _check_text(text, what: str = "text") -> str:
    if text is None:
        raise TypeError(f"{what} is None; pass a string ('' counts as zero tokens)")
    if not isinstance(text, str):
        raise TypeError(f"{what} must be a str, not {type(text).__name__}")
    return text


def count_tokens(tokenizer, text: str) -> int:
    """Number of tokens ``text`` costs, without the special tokens a tokenizer may add around it."""
    return len(tokenizer(_check_text(text), add_special_tokens=False)["input_ids"])


@dataclass(frozen=True)
class Token:
    id: int
    text: str  # the slice of the input this token covers ("" for a continuation of a split character)
    shown: str  # what the view prints: the text, the bytes of a partial character, or WordPiece's own piece
    partial: bool = False  # holds only some of the bytes of a character (byte-level and byte-fallback tokens)


def _byte_alphabet() -> dict[str, int]:
    """Byte-level BPE's printable stand-in for each of the 256 bytes (GPT-2's table), inverted."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    chars, extra = {}, 0
    for b in range(256):
        if b in printable:
            chars[chr(b)] = b
        else:
            chars[chr(256 + extra)] = b
            extra += 1
    return chars


_BYTE_OF = _byte_alphabet()


def _kind(tokenizer) -> str:
    """"wordpiece", "byte-level" (GPT-2 style) or "other" (SentencePiece, with <0x..> byte fallback)."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    model = type(getattr(backend, "model", None)).__name__
    if model == "WordPiece":
        return "wordpiece"
    if type(getattr(backend, "decoder", None)).__name__ == "ByteLevel":
        return "byte-level"
    return "other"


def _raw_bytes(piece: str, kind: str) -> bytes | None:
    """The bytes a token stands for, when its vocabulary entry says (byte-level or <0x..> byte tokens)."""
    if kind == "byte-level" and all(c in _BYTE_OF for c in piece):
        return bytes(_BYTE_OF[c] for c in piece)
    if len(piece) == 6 and piece.startswith("<0x") and piece.endswith(">"):
        return bytes([int(piece[3:5], 16)])
    return None


def split(tokenizer, text: str) -> list[Token]:
    """The tokens of ``text`` with the exact piece of text each one covers, and what to show for it.

    Uses the tokenizer's offsets. A byte-level token that holds only part of a character's UTF-8 bytes
    (an emoji, a Chinese character) is *partial*: it is shown as its bytes in hex, ⟨f0 9f⟩, since the
    same token is the first half of many different characters. WordPiece normalises the text first
    (uncased BERT lower-cases and strips accents), so its tokens are shown as WordPiece wrote them
    ("cafe", "##men", "[UNK]"), not as the original slice. Text no token covers (the spaces WordPiece
    drops) is not shown.
    """
    enc = tokenizer(_check_text(text), add_special_tokens=False, return_offsets_mapping=True)
    kind = _kind(tokenizer)
    pieces = tokenizer.convert_ids_to_tokens(enc["input_ids"])
    tokens, covered = [], 0
    for tid, piece, (start, end) in zip(enc["input_ids"], pieces, enc["offset_mapping"]):
        covers = text[max(start, covered):end]  # only characters not shown yet
        covered = max(covered, end)
        raw = _raw_bytes(piece, kind)
        partial = raw is not None and not _is_utf8(raw)
        if partial:
            shown = "⟨" + " ".join(f"{b:02x}" for b in raw or b"") + "⟩"
        elif kind == "wordpiece":
            shown = piece
        else:
            shown = _visible(covers)
        tokens.append(Token(tid, covers, shown, partial))
    return tokens


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _visible(piece: str) -> str:
    return piece.replace(" ", "·").replace("\n", "↵").replace("\t", "→")


class TokenView:
    """Tokens of a text, shown in colour with their ids in Jupyter, and as ``piece|id`` in plain text.

    The HTML keeps the ids as ``<sub>`` so token boundaries stay readable where colours are
    stripped (GitHub's notebook viewer). Spaces show as ·, newlines as ↵, tabs as →; a token holding
    only part of a character's bytes shows those bytes in hex, ⟨f0 9f⟩, with a dashed border.
    """

    def __init__(self, tokens: list[Token], label: str = ""):
        self.tokens, self.label = tokens, label

    def __len__(self) -> int:
        return len(self.tokens)

    def __repr__(self) -> str:
        body = " ".join(f"{t.shown}|{t.id}" for t in self.tokens)
        return f"{self.label} ({len(self)} tokens): {body}" if self.label else body

    def _repr_html_(self) -> str:
        spans = "".join(
            f'<span style="background:{PALETTE[i % len(PALETTE)]};padding:1px 2px;margin:0 1px;'
            f'border-radius:3px;white-space:pre{";border:1px dashed #888" if t.partial else ""}">'
            f'{html.escape(t.shown)}<sub>{t.id}</sub></span>'
            for i, t in enumerate(self.tokens)
        )
        head = f"<b>{html.escape(self.label)}</b> ({len(self)} tokens)<br>" if self.label else ""
        return f'<div style="line-height:2;font-family:monospace">{head}{spans}</div>'


def show(tokenizer, text: str, label: str = "") -> TokenView:
    """Display ``text`` as coloured tokens with their ids (the last expression of a cell shows it)."""
    return TokenView(split(tokenizer, text), label)


@dataclass(frozen=True)
class Budget:
    prompt_tokens: int
    context_window: int
    reserved: int

    @property
    def remaining(self) -> int:
        """Tokens left for the answer (negative: the prompt alone is too long)."""
        return self.context_window - self.reserved - self.prompt_tokens

    @property
    def fits(self) -> bool:
        return self.remaining > 0


def context_budget(tokenizer, messages: list[dict], context_window: int, reserved: int = 0) -> Budget:
    """How many tokens of ``context_window`` a chat leaves for the answer.

    The whole conversation is counted, as the model receives it: every earlier turn is
    sent again with each new question, in the tokenizer's chat template, plus the
    header that opens the assistant's answer. ``reserved`` keeps room for something
    else (e.g. retrieved documents).
    """
    if not isinstance(context_window, int) or context_window <= 0:
        raise ValueError(f"context_window must be a positive int, not {context_window!r}")
    if not isinstance(messages, list) or not messages:
        raise ValueError("messages must be a non-empty list of {'role': ..., 'content': ...} dicts")
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or set(m) != {"role", "content"}:
            raise ValueError(f"message {i} must be a dict with exactly 'role' and 'content', got {m!r}")
        _check_text(m["content"], f"message {i}'s content")
    ids = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=True, return_dict=True)
    return Budget(len(ids["input_ids"]), context_window, reserved)
