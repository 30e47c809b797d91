"""utils.evaluate.generate_answers: a shared-prefix KV cache and length-sorted batches, checked
against plain ``model.generate`` on one unpadded prompt at a time."""

import pytest
import torch

from utils import data, evaluate, models, prompts, runtime

POSTS = ["What a lovely surprise, thank you all!!", "meh",
         "The train was forty minutes late again and nobody told us why.", "Store opens at 9 tomorrow.",
         "honestly the best noodles i've had in months", "battery died at 40% AGAIN"]


@pytest.fixture(scope="module")
def lm():
    profile = runtime.resolve_profile("cpu")
    return models.load_model(profile), models.load_tokenizer(profile)


def plain_generate(model, tokenizer, conv, max_new_tokens):
    text = tokenizer.apply_chat_template(conv, add_generation_prompt=True, tokenize=False)
    inputs = tokenizer(text, return_tensors="pt", add_special_tokens=False)
    with torch.no_grad():
        out = model.generate(**inputs, max_new_tokens=max_new_tokens, do_sample=False,
                             pad_token_id=tokenizer.pad_token_id)
    return tokenizer.decode(out[0, inputs["input_ids"].shape[1]:], skip_special_tokens=True).strip()


@pytest.mark.parametrize("shots", [0, 3])
@pytest.mark.parametrize("batch_size", [1, 4])
def test_same_answers_as_plain_generate(lm, shots, batch_size):
    model, tokenizer = lm
    train = data.load_sentiment()["train"]
    examples = [next(r for r in train if r["label"] == label) for label in data.LABELS][:shots]
    convs = [prompts.sentiment_messages(p, examples=examples) for p in POSTS]
    expected = [plain_generate(model, tokenizer, c, 6) for c in convs]
    assert len(set(expected)) > 1, f"the check needs different answers: {expected}"
    got = evaluate.generate_answers(model, tokenizer, convs, max_new_tokens=6, batch_size=batch_size, progress=False)
    assert got == expected


def test_answers_come_back_in_the_order_asked(lm):
    model, tokenizer = lm
    convs = [prompts.sentiment_messages(p) for p in POSTS[:4]]
    forward = evaluate.generate_answers(model, tokenizer, convs, max_new_tokens=4, batch_size=2, progress=False)
    backward = evaluate.generate_answers(model, tokenizer, convs[::-1], max_new_tokens=4, batch_size=2, progress=False)
    assert backward == forward[::-1]
    assert tokenizer.padding_side == "right", "the tokenizer is left as it was"
    assert evaluate.generate_answers(model, tokenizer, [], progress=False) == []


def test_common_prefix_leaves_every_row_a_token_of_its_own():
    assert evaluate._common_prefix_length([[1, 2, 3, 4], [1, 2, 3, 5, 6]]) == 3
    assert evaluate._common_prefix_length([[1, 2, 3], [1, 2, 3, 4]]) == 2   # one sequence is the other's prefix
    assert evaluate._common_prefix_length([[1, 2], [1, 2]]) == 1
    assert evaluate._common_prefix_length([[7, 2], [1, 2]]) == 0
    assert evaluate._common_prefix_length([[5, 6, 7]]) == 2


def test_each_row_continues_at_its_own_positions(lm):
    # Padding sits between the cached prefix and each row's own tokens: the positions must skip it, or
    # every row but the longest would be shifted. (Answers alone might not show a shift of a few positions.)
    model, tokenizer = lm
    convs = [prompts.sentiment_messages(p) for p in POSTS]
    lengths = [len(tokenizer(tokenizer.apply_chat_template(c, add_generation_prompt=True, tokenize=False),
                             add_special_tokens=False)["input_ids"]) for c in convs]
    assert len(set(lengths)) > 1, "the check needs rows of different lengths"
    calls = []
    hook = model.register_forward_pre_hook(lambda module, args, kwargs: calls.append(kwargs.get("position_ids")),
                                           with_kwargs=True)
    try:
        evaluate.generate_answers(model, tokenizer, convs, max_new_tokens=2, batch_size=len(convs), progress=False)
    finally:
        hook.remove()
    prefix_call, prefill, decode = calls[0], calls[1], calls[2]
    assert prefix_call is None  # the shared prefix: positions 0, 1, … by default
    assert sorted(prefill[:, -1].tolist()) == sorted(n - 1 for n in lengths)
    assert sorted(decode[:, -1].tolist()) == sorted(lengths)


def test_logps_of_generated_answers_equal_a_teacher_forced_pass(lm):
    # generate_with_logps sums log p(token) from generate's own logits (padded, shared-prefix batches); scoring the
    # same ids afterwards, one unpadded row at a time, must give the same numbers.
    model, tokenizer = lm
    convs = [prompts.sentiment_messages(p) for p in POSTS]
    got = evaluate.generate_with_logps(model, tokenizer, convs, max_new_tokens=8, batch_size=4)
    assert [a for a, _, _ in got] == evaluate.generate_answers(model, tokenizer, convs, max_new_tokens=8,
                                                                 batch_size=4, progress=False)
    ends = {model.generation_config.eos_token_id} if isinstance(model.generation_config.eos_token_id, int) \
        else set(model.generation_config.eos_token_id)
    assert any(ids[-1] in ends for _, ids, _ in got), "the check needs an answer that stops before the cap"
    for conv, (_, ids, logp) in zip(convs, got):
        assert len(ids) <= 8 and not set(ids[:-1]) & ends  # nothing after the first end token
        prompt = tokenizer(tokenizer.apply_chat_template(conv, add_generation_prompt=True, tokenize=False),
                           add_special_tokens=False)["input_ids"]
        with torch.no_grad():
            logits = model(input_ids=torch.tensor([prompt + ids])).logits[0, len(prompt) - 1:-1].float()
        forced = torch.log_softmax(logits, -1).gather(-1, torch.tensor(ids)[:, None]).sum().item()
        assert logp < 0 and abs(logp - forced) < 1e-3 * max(1.0, abs(forced)), (logp, forced)
