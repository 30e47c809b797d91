"""Notebook 06's answering step under other choices: 4-bit or float32, chunks packed, chunk size, chunk order.

Every configuration answers all 94 questions of ``datasets/knowledge_base`` (greedy, notebook 06's prompts),
retrieving with the dense embedder, and reports the share of answerable questions answered correctly (gold
answer contained), the share whose gold answer was in the packed context, the wrong refusals and the
refusals of unanswerable questions, with the seconds it took. Notebook 06 uses the best of these; this is
where its "we tried" rests.

    .venv/bin/python bench/rag_answers.py                 # the whole grid (about 15 minutes on 2 CPU cores)
    .venv/bin/python bench/rag_answers.py --only float32-k1-128
"""

from __future__ import annotations

import argparse
import functools
import time

import numpy as np

from utils import evaluate, models, rag, runtime, tokens

SYSTEM_RAG = ("Answer the question in a few words, using only the context. "
              f"If the context does not contain the answer, reply: {rag.REFUSAL}")
SYSTEM_PLAIN = f"Answer the question in a few words. If you do not know the answer, reply: {rag.REFUSAL}"
# name: (quantize, chunks packed (0 = no retrieval), chunk limit in embedder tokens, best chunk last)
GRID = {
    "float32-none": (False, 0, 128, False),
    "float32-k1-128": (False, 1, 128, False),
    "float32-k3-128": (False, 3, 128, False),
    "float32-k3-128-best-last": (False, 3, 128, True),
    "float32-k2-128-best-last": (False, 2, 128, True),
    "float32-k5-128-best-last": (False, 5, 128, True),
    "float32-k5-64-best-last": (False, 5, 64, True),
    "4bit-k3-128-best-last": (True, 3, 128, True),
}
MAX_NEW_TOKENS = 32


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", choices=sorted(GRID), help="run only these configurations")
    args = parser.parse_args()
    profile = runtime.resolve_profile("cpu")
    embedder = models.load_embedder(profile)
    tokenizer = models.load_tokenizer(profile)
    count_lm = functools.partial(tokens.count_tokens, tokenizer)
    count_emb = functools.partial(tokens.count_tokens, embedder.tokenizer)
    sections, questions = rag.load_knowledge_base()
    question_vectors = embedder.encode([q["question"] for q in questions], normalize_embeddings=True)
    model, model_quantized = None, None
    print(f"{len(questions)} questions, greedy, {MAX_NEW_TOKENS} new tokens at most, dense retrieval "
          f"({profile.embedder_id}); correct/in context over the answerable, refused over each kind\n")
    print(f"{'configuration':26s} {'correct':>8s} {'in ctx':>7s} {'ans. refused':>13s} {'unans. refused':>15s} "
          f"{'ctx tokens':>11s} {'seconds':>8s}")
    for name in args.only or GRID:
        quantize, k, limit, best_last = GRID[name]
        if quantize is not model_quantized:  # one model in memory at a time
            model, model_quantized = models.load_model(profile, quantize=quantize), quantize
        chunks = rag.chunk_sections(sections, count_emb, limit, limit // 4)
        chunk_vectors = embedder.encode([c.text for c in chunks], batch_size=32, normalize_embeddings=True)
        order = np.argsort(-(question_vectors @ chunk_vectors.T), axis=1, kind="stable")
        packs = []
        for i in range(len(questions)):
            best = [chunks[c] for c in order[i][:k]]
            packs.append(rag.pack_context(best, count_lm, 100_000, best_last=best_last) if k else None)
        conversations = [
            [{"role": "system", "content": SYSTEM_RAG},
             {"role": "user", "content": f"Context:\n{p.text}\n\nQuestion: {q['question']}"}] if p else
            [{"role": "system", "content": SYSTEM_PLAIN}, {"role": "user", "content": q["question"]}]
            for q, p in zip(questions, packs)]
        start = time.perf_counter()
        answers = evaluate.generate_answers(model, tokenizer, conversations, MAX_NEW_TOKENS, progress=False)
        seconds = time.perf_counter() - start
        ans = [(q, a, p) for q, a, p in zip(questions, answers, packs) if q["answer"]]
        una = [a for q, a in zip(questions, answers) if not q["answer"]]
        correct = np.mean([rag.contains_answer(a, q["answer"]) for q, a, _ in ans])
        in_ctx = np.mean([p is not None and rag.contains_answer(p.text, q["answer"]) for q, _, p in ans])
        wrong = np.mean([rag.is_refusal(a) for _, a, _ in ans])
        refused = np.mean([rag.is_refusal(a) for a in una])
        ctx = np.mean([p.tokens for p in packs if p is not None]) if k else 0
        print(f"{name:26s} {correct:8.0%} {in_ctx:7.0%} {wrong:13.0%} {refused:15.0%} {ctx:11.0f} {seconds:8.0f}",
              flush=True)


if __name__ == "__main__":
    main()
