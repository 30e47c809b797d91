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


@pytest.mark.parametrize("answer, label", [("Positive.", "positive"), (" neutral\n", "neutral"),
                                           ("It is negative", None), ("", None), ("positively", None)])
def test_parse_label(answer, label):
    assert evaluate.parse_label(answer) == label


def test_score_counts_unparsed_as_wrong():
    s = evaluate.score(["positive", "negative", "neutral", "neutral"], ["positive", "negative", "blah", "positive"])
    assert s.n == 4 and s.accuracy == 0.5 and s.unparsed == 0.25
    assert s.confusion[2] == [1, 0, 0, 1]  # neutral row: once "positive", once no label
