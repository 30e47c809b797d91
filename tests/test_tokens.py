import pytest

from utils import models, runtime, tokens


@pytest.fixture(scope="module")
def tok():
    return models.load_tokenizer(runtime.resolve_profile("cpu"))


def test_count_tokens_excludes_special_tokens(tok):
    assert tokens.count_tokens(tok, "") == 0
    assert tokens.count_tokens(tok, "Hello world") == len(tok("Hello world", add_special_tokens=False)["input_ids"]) == 2


@pytest.mark.parametrize("bad, error", [(None, "is None"), (42, "must be a str, not int"), (["a"], "not list")])
def test_bad_text_is_a_clear_error(tok, bad, error):
    with pytest.raises(TypeError, match=error):
        tokens.count_tokens(tok, bad)
    with pytest.raises(TypeError, match=error):
        tokens.show(tok, bad)


@pytest.mark.parametrize("text", ["The cat sat on the mat.", "  indented\tcode = 12345\n", "naïve café 🙂 猫が好き", ""])
def test_split_pieces_cover_the_text_exactly(tok, text):
    pieces = tokens.split(tok, text)
    assert "".join(t.text for t in pieces) == text
    assert [t.id for t in pieces] == tok(text, add_special_tokens=False)["input_ids"]


def test_view_plain_and_html(tok):
    view = tokens.show(tok, "a <b>\n", label="demo")
    assert repr(view).startswith("demo (")
    html = view._repr_html_()
    assert "&lt;" in html and "&gt;" in html and "<sub>" in html and "↵" in html  # escaped, ids kept, newline visible


def test_context_budget_counts_the_template_and_grows_with_history(tok):
    one = [{"role": "user", "content": "Hi"}]
    two = one + [{"role": "assistant", "content": "Hello! How can I help?"}, {"role": "user", "content": "Tell me more."}]
    b1, b2 = tokens.context_budget(tok, one, 8192), tokens.context_budget(tok, two, 8192, reserved=100)
    assert b1.prompt_tokens > tokens.count_tokens(tok, "Hi")  # the template's own tokens count too
    assert b2.prompt_tokens > b1.prompt_tokens
    assert b2.remaining == 8192 - 100 - b2.prompt_tokens and b2.fits
    assert not tokens.context_budget(tok, one, b1.prompt_tokens).fits


@pytest.mark.parametrize(
    "messages, window, error",
    [([], 100, "non-empty list"), ([{"role": "user"}], 100, "message 0"), ("hi", 100, "non-empty list"),
     ([{"role": "user", "content": None}], 100, "is None"), ([{"role": "user", "content": "x"}], 0, "positive int")],
)
def test_context_budget_bad_input(tok, messages, window, error):
    with pytest.raises((ValueError, TypeError), match=error):
        tokens.context_budget(tok, messages, window)


def test_partial_character_tokens_show_their_bytes_not_a_character(tok):
    pieces = tokens.split(tok, "猫 🙂 👩\u200d💻")
    partial = [t for t in pieces if t.partial]
    assert partial, "this text needs byte-level tokens that split characters"
    for t in partial:
        assert t.shown.startswith("⟨") and t.shown.endswith("⟩")
        assert all(ord(c) < 128 or c in "⟨⟩" for c in t.shown), "hex digits only, never the character itself"
    # one id, one display: the same token is never drawn as different characters
    shown_by_id: dict = {}
    for t in tokens.split(tok, "🙂 👩 💻 😀 🎉"):
        assert shown_by_id.setdefault(t.id, t.shown) == t.shown
    assert "border:1px dashed" in tokens.show(tok, "🙂 👩")._repr_html_()


def test_wordpiece_shows_its_own_normalised_pieces():
    from transformers import AutoTokenizer

    wordpiece = AutoTokenizer.from_pretrained(models.embedder_source(runtime.resolve_profile("cpu")))
    shown = [t.shown for t in tokens.split(wordpiece, "Café Übermensch 猫")]
    assert shown[:2] == ["cafe", "uber"] and "##men" in shown and shown[-1] == "[UNK]"
