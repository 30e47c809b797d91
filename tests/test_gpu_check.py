"""The GPU check's parts that run without a GPU: the Llama 2 stand-in, the gpu profile's tokenizer path through it,
and the cell runner that tells a claim needing the real model from a crash."""

from __future__ import annotations

import sys

import nbformat
import pytest

import utils
from utils import models, prompts, runtime

sys.path.insert(0, str(utils.ROOT / "bench"))
import gpu_notebook  # noqa: E402
import llama_standin  # noqa: E402

T4 = runtime.Runtime(where="colab", python="3.13", torch="x", cuda=True, gpu_name="Tesla T4", vram_gib=14.7,
                     capability=(7, 5))
CONVERSATIONS = [
    [{"role": "system", "content": "You are a concise assistant."}, {"role": "user", "content": "Name a colour."},
     {"role": "assistant", "content": "Blue."}, {"role": "user", "content": "And at sunset? 🙂"}],
    [{"role": "user", "content": "  Is this post positive?  "}],
]


@pytest.fixture(scope="module")
def standin(tmp_path_factory):
    target = tmp_path_factory.mktemp("llama2-standin")
    llama_standin.build(target)
    return target


def test_the_stand_in_looks_like_llama_2_where_the_course_depends_on_it(standin):
    from transformers import AutoConfig, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(standin)
    assert llama_standin.problems(tokenizer) == []
    assert tokenizer.convert_ids_to_tokens([0, 1, 2, 3, 258]) == ["<unk>", "<s>", "</s>", "<0x00>", "<0xFF>"]
    assert AutoConfig.from_pretrained(standin).vocab_size == 32_000
    assert not list(standin.glob("*.bin")), "safetensors only"


def test_the_gpu_profile_gives_the_stand_in_the_course_llama2_template(standin, monkeypatch):
    monkeypatch.setenv(models.GPU_MODEL_ENV, str(standin))
    monkeypatch.delenv("HF_TOKEN", raising=False)
    profile = runtime.resolve_profile("gpu", rt=T4)
    assert (profile.name, profile.compute_dtype_name) == ("gpu", "float16")
    tokenizer = models.load_tokenizer(profile)
    assert tokenizer.chat_template == prompts.LLAMA2_CHAT_TEMPLATE  # the fallback for copies that ship none
    assert (tokenizer.pad_token_id, tokenizer.padding_side) == (0, "right")  # <unk>, not EOS
    for conversation in CONVERSATIONS:
        text = tokenizer.apply_chat_template(conversation, tokenize=False, add_generation_prompt=True)
        assert text == prompts.llama2_text(conversation)
        ids = tokenizer.apply_chat_template(conversation, add_generation_prompt=True, return_dict=True)["input_ids"]
        assert ids == tokenizer(text, add_special_tokens=False)["input_ids"]
        assert ids[:2] != [1, 1] and ids[0] == 1, "one BOS, not two"  # the doubled-BOS pitfall
        assert ids.count(1) == sum(m["role"] == "user" for m in conversation)  # one <s> per exchange, as Meta's


def notebook(*sources: str):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(s[3:]) if s.startswith("md:") else nbformat.v4.new_code_cell(s)
                for s in sources]
    return nb


def test_the_gpu_check_records_answer_checks_and_stops_at_any_other_error():
    nb = notebook("from utils import runtime",
                  "runtime.expect_answer('paris' in 'noise', 'the model should know this one')",
                  "md:a text cell",
                  "seen = 'after the answer check'\nprint(seen)",
                  "raise RuntimeError('Expected all tensors to be on the same device')",
                  "print('never reached')")
    result, needs_real_model = gpu_notebook.execute(nb, str(utils.ROOT), timeout=120)
    assert needs_real_model == [1]
    assert result == "FAILED in cell 4: RuntimeError: Expected all tensors to be on the same device"
    assert nb.cells[3].outputs[0]["text"] == "after the answer check\n"  # it ran on past the answer check
    assert nb.cells[5].outputs == []
    assert issubclass(runtime.AnswerCheckFailed, AssertionError)  # for a student it is an assertion
    assert gpu_notebook.KIND_ONE == runtime.AnswerCheckFailed.__name__


def test_the_gpu_check_numbers_cells_as_the_notebook_stores_them():
    nb = notebook("from utils import runtime", "x = 1", "runtime.expect_answer(x == 2, 'a stand-in answers noise')")
    nb.cells.insert(1, nbformat.v4.new_code_cell("RUNTIME = None", metadata={"tags": [gpu_notebook.INJECTED]}))
    assert gpu_notebook.execute(nb, str(utils.ROOT), timeout=120) == ("passed", [2])


def test_plain_asserts_stay_failures():
    nb = notebook("assert 1 == 2, 'shapes differ'")
    result, needs_real_model = gpu_notebook.execute(nb, str(utils.ROOT), timeout=120)
    assert (result, needs_real_model) == ("FAILED in cell 0: AssertionError: shapes differ", [])


def test_the_answer_checks_the_stand_in_fails_are_marked_in_the_notebooks():
    """The claims a random stand-in cannot meet (found by the GPU check on 2026-12-04, and 04's stop check)."""
    for name, count in (("00_setup_check", 1), ("04_qlora_llama2", 1), ("06_rag", 2)):
        source = (utils.ROOT / "notebooks" / f"{name}.ipynb").read_text(encoding="utf-8")
        assert source.count("runtime.expect_answer(") == count, name


def test_expect_answer():
    runtime.expect_answer(True, "fine")
    with pytest.raises(AssertionError, match="the model should know this one"):
        runtime.expect_answer("" != "", "the model should know this one")


def fake_wheel(path, files: dict[str, bytes], name="demo", version="1.0"):
    import zipfile

    info = f"{name}-{version}.dist-info"
    files = {**files, f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
             f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"}
    record = "".join(f"{n},,\n" for n in files) + f"{info}/RECORD,,\n"
    with zipfile.ZipFile(path, "w") as z:
        for n, data in files.items():
            z.writestr(n, data)
        z.writestr(f"{info}/RECORD", record)
    return path


def test_the_wheelhouse_keeps_one_cuda_major_of_bitsandbytes(tmp_path):
    import zipfile

    import gpu_wheelhouse

    libs = ["cpu", "cuda118", "cuda128", "cuda130", "cuda132", "rocm64", "xpu2026"]
    files = {f"bitsandbytes/libbitsandbytes_{lib}.so": b"x" * 1000 for lib in libs}
    wheel = fake_wheel(tmp_path / "bitsandbytes-0.50.2-py3-none-any.whl", {**files, "bitsandbytes/__init__.py": b""},
                       name="bitsandbytes", version="0.50.2")
    gpu_wheelhouse.prune_bitsandbytes(wheel, 13)
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        record = z.read("bitsandbytes-0.50.2.dist-info/RECORD").decode()
    kept = {n.rsplit("_", 1)[-1].removesuffix(".so") for n in names if "libbitsandbytes" in n}
    assert kept == {"cpu", "cuda130", "cuda132"} and "bitsandbytes/__init__.py" in names
    assert "cuda128" not in record and "cuda130" in record
    with pytest.raises(ValueError, match="no library for CUDA 14"):
        gpu_wheelhouse.prune_bitsandbytes(wheel, 14)


def test_the_wheelhouse_leaves_to_the_image_what_it_has():
    import gpu_wheelhouse

    image = {"torch": "2.11.0", "transformers": "5.17.0", "numpy": "2.5.2", "filelock": None, "safetensors": "0.8.0"}
    assert not gpu_wheelhouse.carry("torch", "==2.13.0", "2.13.0", image)  # the image's CUDA build, always
    assert not gpu_wheelhouse.carry("nvidia-cublas", ">=13", None, {})
    assert gpu_wheelhouse.carry("transformers", "==5.23.0", "5.23.0", image)  # the course's pin, not the image's
    assert not gpu_wheelhouse.carry("safetensors", "==0.8.0", "0.8.0", image)
    assert not gpu_wheelhouse.carry("numpy", ">=1.24", None, image) and not gpu_wheelhouse.carry("filelock", "", None, image)
    assert gpu_wheelhouse.carry("numpy", "<2", None, image)  # the image's version does not satisfy it
    assert gpu_wheelhouse.carry("trl", "==1.16.0", "1.16.0", image)


def test_the_wheelhouse_parts_fit_and_pieces_join_on_install(tmp_path):
    import gpu_wheelhouse

    parts = gpu_wheelhouse.split_parts({"a": 50, "b": 40, "c": 30, "d": 20, "e": 10}, 60)
    assert all(sum({"a": 50, "b": 40, "c": 30, "d": 20, "e": 10}[n] for n in p) <= 60 for p in parts)
    assert sorted(n for p in parts for n in p) == list("abcde") and len(parts) == 3
    with pytest.raises(ValueError, match="over the"):
        gpu_wheelhouse.split_parts({"big": 61}, 60)
    wheel = fake_wheel(tmp_path / "demo-1.0-py3-none-any.whl", {"demo/__init__.py": b"ANSWER = 42\n" + b"#" * 5000})
    whole = wheel.read_bytes()
    pieces = gpu_wheelhouse.cut(wheel, 2500)
    assert len(pieces) == 3 and not wheel.exists() and b"".join(p.read_bytes() for p in pieces) == whole
    target, staging = tmp_path / "site", tmp_path / "staging"
    for i, piece in enumerate(pieces):  # each piece in its own part, as on the device: one call per part
        part = tmp_path / f"part{i + 1}"
        part.mkdir()
        piece.rename(part / piece.name)
        installed = gpu_wheelhouse.install(part, staging, target)
        assert installed == ([] if i < 2 else ["demo-1.0-py3-none-any.whl"])
    assert (target / "demo" / "__init__.py").read_bytes().startswith(b"ANSWER = 42")
