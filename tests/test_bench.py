"""The benchmark scripts run (on a tiny shape here); their figures come from real runs elsewhere."""

import subprocess
import sys

import utils


def test_gpu_benchmark_script_runs_on_a_tiny_shape():
    out = subprocess.run([sys.executable, "bench/qlora_gpu.py", "--tiny", "--steps", "2"], cwd=utils.ROOT,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "course (notebook 04)" in out.stdout and "mlabonne Colab" in out.stdout
    assert "No GPU here" in out.stdout or "GPU:" in out.stdout


def test_gpu_script_check_says_it_needs_a_gpu():
    import pytest
    import torch

    if torch.cuda.is_available():
        pytest.skip("on a GPU machine it would train: that is bench/gpu_script.py's own run, not a test")
    out = subprocess.run([sys.executable, "bench/gpu_script.py"], cwd=utils.ROOT, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode != 0 and "needs at least one" in out.stderr


def test_rag_benchmark_asks_with_notebook_06s_prompts():
    import json

    from utils import rag

    sys.path.insert(0, str(utils.ROOT / "bench"))
    import rag_answers

    nb = json.loads((utils.ROOT / "notebooks" / "06_rag.ipynb").read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    source = "".join("".join(c["source"]) for c in code)
    shown = "".join("".join(o.get("text", "")) for c in code for o in c["outputs"])
    assert rag_answers.SYSTEM_PLAIN.replace(rag.REFUSAL, "{rag.REFUSAL}") in source
    assert rag_answers.SYSTEM_RAG in shown  # section 6 prints the whole prompt the model reads


def test_price_benchmark_prompts_and_trains_as_notebook_08_does():
    import json
    import random

    from utils import models, price, runtime

    sys.path.insert(0, str(utils.ROOT / "bench"))
    import price_seeds

    nb = json.loads(price_seeds.NOTEBOOK.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    source = "".join("".join(c["source"]) for c in code)
    assert f'QUESTION = "{price_seeds.QUESTION}"' in source
    assert 'return f"Price is ${p:.0f}"' in source and price_seeds.answer(149.4) == "Price is $149"
    assert "MAX_STEPS = MAX_STEPS or profile.max_steps" in source and "BATCH_SIZE or profile.batch_size" in source
    assert f'GENERATION_BATCH = {{"cpu": {price_seeds.GENERATION_BATCH}, ' in source
    bench_source = (utils.ROOT / "bench" / "price_seeds.py").read_text(encoding="utf-8")
    assert source.count("models.load_model(profile, cpu_bf16=True)") == 1  # one model, and bf16 as in the bench
    assert bench_source.count("models.load_model(profile, cpu_bf16=True)") == 1
    assert "split_by_category(capped, shares=SHARES)" in source  # the split's seed is fixed, as in the bench
    # the prompt the notebook prints (its first test listing, one few-shot example) is the bench's, token for token
    p = price_seeds.notebook_parameters()
    tokenizer = models.load_tokenizer(runtime.resolve_profile("cpu"))
    splits = price.curate(price.load_listings(), tokenizer, p["DESCRIPTION_TOKENS"],
                          outlier_factor=p["OUTLIER_FACTOR"], shares=p["SHARES"])
    shots = random.Random(p["SEED"]).sample(splits["train"], p["FEW_SHOT"])
    rendered = tokenizer.apply_chat_template(price_seeds.price_messages(splits["test"][0], shots[:1]), tokenize=False,
                                             add_generation_prompt=True)
    shown = "".join("".join(o.get("text", "")) for c in code for o in c["outputs"])
    assert rendered in shown
    # and the fine-tune's prompt, with the most similar training listings' prices, which the notebook prints too
    assert "most_similar(train, exclude_self=True)" in source
    vec, X = price_seeds.tfidf(splits["train"])
    similar = price_seeds.most_similar(vec, X, splits["train"], splits["test"][:1], p["NEIGHBOURS"])
    assert tokenizer.apply_chat_template(price_seeds.price_messages(splits["test"][0], similar=similar[0]), tokenize=False,
                                         add_generation_prompt=True) in shown


def test_preference_benchmark_runs_notebook_07_with_only_the_seed_changed():
    import json

    sys.path.insert(0, str(utils.ROOT / "bench"))
    import preference_seeds

    nb = json.loads(preference_seeds.NOTEBOOK.read_text(encoding="utf-8"))
    before = [c["source"] for c in nb["cells"]]
    seeded = preference_seeds.with_seed(json.loads(json.dumps(nb)), 7)
    changed = [i for i, (a, c) in enumerate(zip(before, seeded["cells"])) if "".join(a) != "".join(c["source"])]
    assert len(changed) == 1 and "SEED = 7" in "".join(seeded["cells"][changed[0]]["source"])
    assert all(c.get("outputs", []) == [] for c in seeded["cells"] if c["cell_type"] == "code")
    results = next(c for c in nb["cells"] if c["cell_type"] == "code" and "results.json" in "".join(c["source"]))
    shown = "".join("".join(o.get("text", "")) for o in results["outputs"])
    assert json.loads(shown[shown.index("{"):])["DPO vs reference: joint win rate"] >= 0  # what the bench parses
