"""Chat formats: Llama 2's, built by hand as Meta's reference code does, and its Jinja twin.

Meta's ``chat_completion`` (llama/generation.py) folds the system prompt into the first
user turn between ``<<SYS>>`` markers, wraps each user turn in ``[INST] … [/INST]``,
and encodes every (user, answer) pair as its own segment: BOS token, text, EOS token.
BOS and EOS are *tokens*, never the literal text ``<s>``/``</s>``.

Also: the course's sentiment task as chat messages, shared by notebooks 03 and 04.
"""

from __future__ import annotations

from collections.abc import Sequence

B_INST, E_INST = "[INST]", "[/INST]"
B_SYS, E_SYS = "<<SYS>>\n", "\n<</SYS>>\n\n"

# The chat template of Meta's Llama-2-7b-chat-hf repository on the Hub (its tokenizer_config.json), verbatim:
# the system prompt and the first user message are joined first and the *combined* message is stripped, as
# Meta's reference code does. The gpu profile's tokenizer carries it itself; the cpu profile's needs this copy.
LLAMA2_CHAT_TEMPLATE = (
    "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}"
    "{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}"
    "{% set system_message = false %}{% endif %}{% for message in loop_messages %}"
    "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
    "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
    "{% if loop.index0 == 0 and system_message != false %}"
    "{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}"
    "{% else %}{% set content = message['content'] %}{% endif %}"
    "{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}"
    "{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}"
    "{% endfor %}"
)


class ChatFormatError(ValueError):
    """The messages do not form a valid conversation."""


def _check(messages: list[dict]) -> list[dict]:
    if not isinstance(messages, list) or not messages:
        raise ChatFormatError("messages must be a non-empty list of {'role': ..., 'content': ...} dicts")
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or not isinstance(m.get("content"), str) or m.get("role") not in (
            "system", "user", "assistant"
        ):
            raise ChatFormatError(f"message {i} must be {{'role': 'system'|'user'|'assistant', 'content': str}}, got {m!r}")
    if messages[0]["role"] == "system":
        if len(messages) == 1:
            raise ChatFormatError("a system prompt needs a user message after it")
        first = messages[1]
        # joined as they are; the combined message is stripped with every other one (llama2_segments)
        messages = [{"role": first["role"], "content": B_SYS + messages[0]["content"] + E_SYS + first["content"]}] + messages[2:]
    for i, m in enumerate(messages):
        expected = "user" if i % 2 == 0 else "assistant"
        if m["role"] != expected:
            raise ChatFormatError(
                f"roles must alternate user/assistant (after an optional first system message): "
                f"turn {i + 1} is {m['role']!r}, expected {expected!r}"
            )
    return messages


def llama2_segments(messages: list[dict]) -> list[tuple[str, bool]]:
    """The conversation as Meta encodes it: ``(text, closed)`` per segment.

    Each segment is encoded as BOS + text (+ EOS when ``closed``): every answered turn is
    closed; a final unanswered user turn stays open for the model to answer.
    """
    dialog = _check(messages)
    segments = [
        (f"{B_INST} {user['content'].strip()} {E_INST} {answer['content'].strip()} ", True)
        for user, answer in zip(dialog[::2], dialog[1::2])
    ]
    if dialog[-1]["role"] == "user":
        segments.append((f"{B_INST} {dialog[-1]['content'].strip()} {E_INST}", False))
    return segments


def llama2_ids(tokenizer, messages: list[dict]) -> list[int]:
    """Token ids of the conversation in Llama 2's format, BOS/EOS inserted as ids."""
    ids: list[int] = []
    for text, closed in llama2_segments(messages):
        ids += [tokenizer.bos_token_id] + tokenizer.encode(text, add_special_tokens=False)
        if closed:
            ids.append(tokenizer.eos_token_id)
    return ids


def llama2_text(messages: list[dict], bos: str = "<s>", eos: str = "</s>") -> str:
    """The same conversation as one string, with ``bos``/``eos`` spelled out (for reading, or
    for the single-``text`` datasets on the Hub named ``*-llama2-1k``)."""
    return "".join(bos + text + (eos if closed else "") for text, closed in llama2_segments(messages))


# --- the course's sentiment task -------------------------------------------------------------

SENTIMENT_SYSTEM = (
    "You label the sentiment of social-media posts. "
    "Answer with exactly one word: positive, negative or neutral."
)


def sentiment_messages(post: str, label: str | None = None, examples: Sequence[dict] = ()) -> list[dict]:
    """Chat messages asking for the sentiment of ``post``; with ``label``, the answer is included (training).

    ``examples`` (rows with ``text`` and ``label``) become earlier user/assistant turns: few-shot prompting.
    """
    messages = [{"role": "system", "content": SENTIMENT_SYSTEM}]
    for ex in examples:
        messages += [{"role": "user", "content": ex["text"]}, {"role": "assistant", "content": ex["label"]}]
    messages.append({"role": "user", "content": post})
    if label is not None:
        messages.append({"role": "assistant", "content": label})
    return messages


# The few-shot examples in three orders, each label last once: a small model tends to repeat the label of
# the example it saw last (recency bias), so one order alone would measure the order as much as the model.
FEW_SHOT_ORDERS = (("positive", "negative", "neutral"), ("negative", "neutral", "positive"),
                   ("neutral", "positive", "negative"))


def few_shot_examples(train_rows: Sequence[dict], order: Sequence[str]) -> list[dict]:
    """One example per label, the first training row of each, in ``order`` (for ``sentiment_messages``)."""
    first: dict[str, dict] = {}
    for row in train_rows:
        first.setdefault(row["label"], row)
    missing = [label for label in order if label not in first]
    if missing:
        raise ValueError(f"no training row has the label(s) {missing}: few-shot examples need one of each")
    return [first[label] for label in order]


def sentiment_dataset(rows: list[dict]):
    """Rows of the sentiment data as TRL's conversational prompt/completion dataset."""
    from datasets import Dataset

    return Dataset.from_list([
        {"prompt": sentiment_messages(r["text"]), "completion": [{"role": "assistant", "content": r["label"]}]}
        for r in rows
    ])
