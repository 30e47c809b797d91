import pytest

from utils import runtime
from utils.runtime import ProfileError, Runtime

NO_GPU = Runtime(where="ci", python="3.11", torch="x", cuda=False)
T4 = Runtime(where="colab", python="3.12", torch="x", cuda=True, gpu_name="Tesla T4", vram_gib=14.7, capability=(7, 5))
L4 = Runtime(where="colab", python="3.12", torch="x", cuda=True, gpu_name="NVIDIA L4", vram_gib=22.2, capability=(8, 9))
A100 = Runtime(where="colab", python="3.12", torch="x", cuda=True, gpu_name="NVIDIA A100-SXM4-40GB", vram_gib=39.6, capability=(8, 0))
SMALL = Runtime(where="local", python="3.11", torch="x", cuda=True, gpu_name="GeForce GTX 1650", vram_gib=3.9, capability=(7, 5))


@pytest.fixture(autouse=True)
def no_env_profile(monkeypatch):
    monkeypatch.delenv(runtime.PROFILE_ENV, raising=False)


@pytest.mark.parametrize(
    "rt, name, dtype",
    [(NO_GPU, "cpu", "float32"), (T4, "gpu", "float16"), (L4, "gpu", "bfloat16"), (A100, "gpu", "bfloat16"), (SMALL, "cpu", "float32")],
    ids=["no-gpu", "T4", "L4", "A100", "4GB-gpu"],
)
def test_automatic_profile_and_dtype(rt, name, dtype):
    p = runtime.resolve_profile(rt=rt)
    assert (p.name, p.compute_dtype_name) == (name, dtype)
    assert p.fp16 == (dtype == "float16") and p.bf16 == (dtype == "bfloat16")


def test_bf16_by_capability_not_by_torch_emulation():
    assert not T4.bf16 and L4.bf16 and A100.bf16 and not NO_GPU.bf16


def test_gpu_profile_recipe_on_t4():
    p = runtime.resolve_profile(rt=T4)
    assert p.lm_id == "meta-llama/Llama-2-7b-chat-hf" and p.lm_fallback_id == "NousResearch/Llama-2-7b-chat-hf"
    assert p.optim.startswith("paged_adamw") and p.gradient_checkpointing


def test_quantization_config_is_nf4_double_quant():
    import torch

    q = runtime.resolve_profile(rt=T4).quantization_config()
    assert q.load_in_4bit and q.bnb_4bit_quant_type == "nf4" and q.bnb_4bit_use_double_quant
    assert q.bnb_4bit_compute_dtype == torch.float16
    assert runtime.resolve_profile(rt=NO_GPU).quantization_config().bnb_4bit_compute_dtype == torch.float32


def test_unknown_profile_lists_valid_ones():
    with pytest.raises(ProfileError, match=r"Unknown profile 'tpu'.*Valid profiles: cpu, gpu"):
        runtime.resolve_profile("tpu", rt=NO_GPU)


def test_unknown_profile_from_environment_names_the_variable(monkeypatch):
    monkeypatch.setenv(runtime.PROFILE_ENV, "big")
    with pytest.raises(ProfileError, match="COURSE_PROFILE"):
        runtime.resolve_profile(rt=NO_GPU)


def test_gpu_forced_without_cuda_is_a_clear_error():
    with pytest.raises(ProfileError, match=r"no CUDA GPU.*Change runtime type"):
        runtime.resolve_profile("gpu", rt=NO_GPU)


def test_gpu_forced_on_a_small_gpu_is_a_clear_error():
    with pytest.raises(ProfileError, match=r"3.9 GiB.*at least 14 GiB"):
        runtime.resolve_profile("gpu", rt=SMALL)


def test_environment_and_parameter_override(monkeypatch):
    monkeypatch.setenv(runtime.PROFILE_ENV, "cpu")
    assert runtime.resolve_profile(rt=L4).name == "cpu"  # env beats detection
    assert runtime.resolve_profile("GPU", rt=L4).name == "gpu"  # the notebook parameter beats env


def test_detect_this_machine():
    rt = runtime.detect()
    assert rt.where in ("colab", "ci", "local")
    assert rt.cuda == __import__("torch").cuda.is_available()
    assert rt.summary()


def test_hub_offline_answers_without_trying(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(runtime.socket, "create_connection", lambda *a, **k: pytest.fail("network touched"))
    assert runtime.hub_reachable() is False


def test_profile_reason_says_where_the_choice_came_from(monkeypatch):
    monkeypatch.delenv(runtime.PROFILE_ENV, raising=False)
    cpu_only = NO_GPU
    assert "chosen automatically: no CUDA GPU found" in runtime.resolve_profile(rt=cpu_only).describe()
    assert "asked for in the notebook" in runtime.resolve_profile("cpu", cpu_only).describe()
    monkeypatch.setenv(runtime.PROFILE_ENV, "cpu")
    assert "set by COURSE_PROFILE" in runtime.resolve_profile(rt=cpu_only).describe()
    assert "unquantized (float32 weights)" in runtime.resolve_profile(rt=cpu_only).describe(quantized=False)


def test_published_peaks_and_the_cpu_estimate():
    assert runtime.published_peak_tflops("Tesla T4", "float16") == 65.0
    assert runtime.published_peak_tflops("NVIDIA L4", "bfloat16") == 121.0
    assert runtime.published_peak_tflops("Tesla T4", "bfloat16") is None  # no bf16 on a T4
    assert runtime.published_peak_tflops("Some Future GPU", "float32") is None
    estimate = runtime.cpu_peak_gflops()
    if estimate is not None:  # Linux
        peak, how = estimate
        assert peak > 0 and "CPUs" in how and "GHz" in how and "nominal" in how


def test_published_peaks_match_whole_card_names():
    assert runtime.published_peak_tflops("NVIDIA L40S", "float32") is None  # not an L4
    assert runtime.published_peak_tflops("NVIDIA H100 PCIe", "bfloat16") == 756.0
    assert runtime.published_peak_tflops("NVIDIA H100 80GB HBM3", "bfloat16") == 989.0
