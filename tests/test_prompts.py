"""Llama 2's format by hand equals its Jinja template; the sentiment helpers behave."""

import pytest

from utils import evaluate, models, prompts, runtime

SYSTEM = {"role": "system", "content": "Be brief."}
TURNS = [
    {"role": "user", "content": "Hi there"}, {"role": "assistant", "content": "Hello!"},
    {"role": "user", "content": " What is 2+2? "}, {"role": "assistant", "content": "4"},
    {"role": "user", "content": "And 3+3?"}, {"role": "assistant", "content": "6"},
    {"role": "user", "content": "Thanks"}, {"role": "assistant", "content": "You're welcome."},
]


@pytest.fixture(scope="module")
def tok():
    return models.load_tokenizer(runtime.resolve_profile("cpu"))


def conversations():
    for n_turns in range(1, 5):  # 1-4 exchanges
        for system in (False, True):
            for open_end in (False, True):  # ends with an answer (training) or an open question (inference)
                msgs = TURNS[: 2 * n_turns - open_end]
                yield ([SYSTEM] if system else []) + msgs


@pytest.mark.parametrize("messages", list(conversations()), ids=lambda m: f"{len(m)}msgs-{m[0]['role']}-{m[-1]['role']}")
def test_formatter_equals_jinja_template(tok, messages):
    text = tok.apply_chat_template(messages, chat_template=prompts.LLAMA2_CHAT_TEMPLATE, tokenize=False,
                                   bos_token="<s>", eos_token="</s>")
    assert prompts.llama2_text(messages) == text
    ids = tok.apply_chat_template(messages, chat_template=prompts.LLAMA2_CHAT_TEMPLATE, tokenize=True,
                                  return_dict=True)["input_ids"]
    assert prompts.llama2_ids(tok, messages) == ids


def test_meta_reference_layout():
    text = prompts.llama2_text([SYSTEM, *TURNS[:3]])
    assert text == (
        "<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi there [/INST] Hello! </s>"
        "<s>[INST] What is 2+2? [/INST]"
    )


def meta_chat_completion(dialog, bos="<s>", eos="</s>"):
    """Meta's reference ``chat_completion`` (llama/generation.py, Llama 2) transcribed for text: the same joins
    and the same strips, with each segment's BOS/EOS written as text instead of encoded as ids."""
    if dialog[0]["role"] == "system":
        dialog = [{"role": dialog[1]["role"],
                   "content": "<<SYS>>\n" + dialog[0]["content"] + "\n<</SYS>>\n\n" + dialog[1]["content"]}] + dialog[2:]
    text = "".join(f"{bos}[INST] {(q['content']).strip()} [/INST] {(a['content']).strip()} {eos}"
                   for q, a in zip(dialog[::2], dialog[1::2]))
    if dialog[-1]["role"] == "user":
        text += f"{bos}[INST] {(dialog[-1]['content']).strip()} [/INST]"
    return text


# Whitespace at every edge Meta's code treats specially: the system prompt and the first user message are joined
# *before* stripping, so the system's own whitespace and the user's leading spaces survive inside the join.
AWKWARD = [
    [{"role": "system", "content": "  Be brief.\n"}, {"role": "user", "content": "   leading spaces"}],
    [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "\ttab, trailing  \n"},
     {"role": "assistant", "content": "  ok  "}, {"role": "user", "content": "  second  "}],
    [{"role": "user", "content": "  no system  "}, {"role": "assistant", "content": "\nyes\n"}],
    [{"role": "system", "content": ""}, {"role": "user", "content": " empty system"}],
]


@pytest.mark.parametrize("messages", AWKWARD + list(conversations()))
def test_formatter_and_template_follow_metas_reference_exactly(tok, messages):
    expected = meta_chat_completion(messages)
    assert prompts.llama2_text(messages) == expected
    assert tok.apply_chat_template(messages, chat_template=prompts.LLAMA2_CHAT_TEMPLATE, tokenize=False,
                                   bos_token="<s>", eos_token="</s>") == expected


def test_the_system_prompt_keeps_the_users_leading_spaces():
    # Meta strips the combined message: the user's leading spaces sit after "<</SYS>>\n\n" and stay.
    text = prompts.llama2_text(AWKWARD[0])
    assert text == "<s>[INST] <<SYS>>\n  Be brief.\n\n<</SYS>>\n\n   leading spaces [/INST]"


@pytest.mark.parametrize(
    "messages, error",
    [
        ([], "non-empty list"),
        ([{"role": "assistant", "content": "hi"}], "turn 1 is 'assistant', expected 'user'"),
        ([TURNS[0], TURNS[0]], "turn 2 is 'user', expected 'assistant'"),
        ([SYSTEM], "needs a user message"),
        ([TURNS[0], SYSTEM], "turn 2 is 'system'"),
        ([{"role": "bot", "content": "x"}], "message 0 must be"),
        ([{"role": "user", "content": None}], "message 0 must be"),
    ],
)
def test_wrong_role_order_is_a_clear_error(messages, error):
    with pytest.raises(prompts.ChatFormatError, match=error):
        prompts.llama2_text(messages)


def test_jinja_template_rejects_wrong_order_too(tok):
    with pytest.raises(Exception, match="alternate"):
        tok.apply_chat_template([TURNS[0], TURNS[0]], chat_template=prompts.LLAMA2_CHAT_TEMPLATE, tokenize=False)


def test_pad_token_is_not_eos(tok):
    assert tok.pad_token_id is not None and tok.pad_token_id != tok.eos_token_id


def test_sentiment_messages_and_dataset():
    shots = [{"text": "love it", "label": "positive"}]
    msgs = prompts.sentiment_messages("meh", examples=shots)
    assert [m["role"] for m in msgs] == ["system", "user", "assistant", "user"]
    ds = prompts.sentiment_dataset([{"text": "meh", "label": "neutral"}])
    assert ds[0]["completion"] == [{"role": "assistant", "content": "neutral"}]


@pytest.mark.parametrize("answer, label", [
    ("Positive.", "positive"), (" neutral\n", "neutral"), ("It is negative", "negative"),
    ("Neutral. The post is neutral", "neutral"),  # one label, named twice
    ("Positive, negative", None), ("positive or neutral?", None),  # hedges name no single label
    ("You label the", None), ("", None), ("positively", None),
])
def test_parse_label(answer, label):
    assert evaluate.parse_label(answer) == label


def test_wilson_interval():
    assert evaluate.wilson_interval(0, 10)[0] == 0.0 and evaluate.wilson_interval(10, 10)[1] == 1.0
    low, high = evaluate.wilson_interval(45, 129)  # 34.9 %
    assert 0.27 < low < 0.35 < high < 0.44
    for bad in [(1, 0), (-1, 5), (6, 5)]:
        with pytest.raises(ValueError, match="n = |at least one"):
            evaluate.wilson_interval(*bad)


def test_score_needs_matching_answers():
    with pytest.raises(ValueError, match="one answer per gold label"):
        evaluate.score(["positive"], [])
    with pytest.raises(ValueError, match="at least one"):
        evaluate.score([], [])


def test_few_shot_orders_put_each_label_last_once():
    assert sorted(order[-1] for order in prompts.FEW_SHOT_ORDERS) == sorted(evaluate.LABELS)
    rows = [{"text": "a", "label": "neutral"}, {"text": "b", "label": "positive"}, {"text": "c", "label": "negative"},
            {"text": "d", "label": "positive"}]
    assert [r["text"] for r in prompts.few_shot_examples(rows, ("positive", "negative", "neutral"))] == ["b", "c", "a"]
    with pytest.raises(ValueError, match="need one of each"):
        prompts.few_shot_examples(rows[:2], ("positive", "negative"))


def test_score_counts_unparsed_as_wrong():
    s = evaluate.score(["positive", "negative", "neutral", "neutral"], ["positive", "negative", "blah", "positive"])
    assert s.n == 4 and s.accuracy == 0.5 and s.unparsed == 0.25
    assert s.confusion[2] == [1, 0, 0, 1]  # neutral row: once "positive", once no label
