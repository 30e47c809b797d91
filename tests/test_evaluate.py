"""utils.evaluate.generate_answers batches by length but answers in the caller's order."""

from utils import evaluate, models, prompts, runtime


def test_answers_come_back_in_the_order_asked():
    profile = runtime.resolve_profile("cpu")
    model, tokenizer = models.load_model(profile), models.load_tokenizer(profile)
    posts = ["What a lovely surprise, thank you all!!", "meh",
             "The train was forty minutes late again and nobody told us why.", "Store opens at 9 tomorrow."]
    convs = [prompts.sentiment_messages(p) for p in posts]
    # batch size 1: no padding, so each answer is independent of the others and of the processing order
    forward = evaluate.generate_answers(model, tokenizer, convs, max_new_tokens=4, batch_size=1, progress=False)
    assert len(set(forward)) > 1, f"the check below needs different answers: {forward}"
    backward = evaluate.generate_answers(model, tokenizer, convs[::-1], max_new_tokens=4, batch_size=1, progress=False)
    assert backward == forward[::-1]
    assert tokenizer.padding_side == "right", "the tokenizer's padding side is restored"
