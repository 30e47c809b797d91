"""scripts/train_sft.py: notebook 04's recipe as a script, and the accelerate configurations that launch it.

- The script's defaults are notebook 04's parameters cell, and the objects it builds (LoRA configuration,
  SFTConfig, datasets, max_length) equal the ones the notebook's own cells build.
- `accelerate launch` with two processes on CPU (gloo) trains the cpu profile's 4-bit SmolLM2 the same as
  one process with the same global batch: every step's loss within LOSS_RTOL. LoRA dropout is 0 in both runs
  so that the only differences left are those of data parallelism itself (the order of float additions
  when gradients are averaged, padding per process): dropout draws different masks in each process.
- Each configuration in scripts/accelerate/ is loaded by accelerate's own parser and checked for the settings
  its comment promises, and for the environment `accelerate launch` gives the script's processes.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import subprocess
import sys

import pytest

import utils

SCRIPT = utils.ROOT / "scripts" / "train_sft.py"
CONFIGS = utils.ROOT / "scripts" / "accelerate"
NOTEBOOK = utils.ROOT / "notebooks" / "04_qlora_llama2.ipynb"
LOSS_RTOL = 1e-4  # of the loss and of the gradient norm, at every step (measured: below 1e-6)


def load_script():
    spec = importlib.util.spec_from_file_location("train_sft", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def notebook_cells() -> list[tuple[list[str], str]]:
    nb = json.loads(NOTEBOOK.read_text())
    return [(c.get("metadata", {}).get("tags", []), "".join(c["source"]))
            for c in nb["cells"] if c["cell_type"] == "code"]


def cell(marker: str) -> str:
    """The one code cell tagged ``marker``, else the one whose source contains it."""
    found = [src for tags, src in notebook_cells() if marker in tags] or [
        src for _, src in notebook_cells() if marker in src]
    assert len(found) == 1, f"expected one cell of notebook 04 with {marker!r}, found {len(found)}"
    return found[0]


def statement(source: str, name: str) -> str:
    """The source of the top-level assignment to ``name`` in a cell."""
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            return ast.get_source_segment(source, node) or ""
    raise AssertionError(f"notebook 04 has no assignment to {name!r} where expected")


def test_defaults_are_notebook_04s_parameters():
    params: dict = {}
    exec(cell("parameters"), {}, params)
    script = load_script()
    assert {k: params[k] for k in script.DEFAULTS} == script.DEFAULTS


@pytest.fixture(scope="module")
def notebook_objects():
    """Notebook 04's own cells, run up to the objects training uses (no model is loaded)."""
    ns: dict = {}
    for source in (cell("bootstrap"), cell("parameters"), cell("profile = runtime.resolve_profile(PROFILE"),
                   cell("bnb_config = BitsAndBytesConfig("), "from peft import LoraConfig",
                   statement(cell("peft_config = LoraConfig("), "peft_config"), cell("args = SFTConfig(")):
        exec(source, ns)
    return ns


def test_script_builds_the_notebooks_objects(notebook_objects, tmp_path):
    from utils import models, runtime

    nb = notebook_objects
    script = load_script()
    a = script.parse_args([])
    profile = runtime.resolve_profile(a.profile)
    tokenizer = models.load_tokenizer(profile)
    train_ds, val_ds = script.datasets_for(a)
    peft_config, args = script.build(a, profile, tokenizer, train_ds, tmp_path)

    assert peft_config.to_dict() == nb["peft_config"].to_dict()
    ours, theirs = args.to_dict(), nb["args"].to_dict()
    for d in (ours, theirs):
        d.pop("output_dir")
    assert ours == theirs, {k: (ours[k], theirs.get(k)) for k in ours if ours[k] != theirs.get(k)}
    assert list(train_ds) == list(nb["train_ds"]) and list(val_ds) == list(nb["val_ds"])


def run(cmd: list[str], name: str) -> dict:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1" if "launch" in cmd else "2"}
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=utils.ROOT, timeout=300)
    lines = [line for line in out.stdout.splitlines() if line.startswith("RESULT ")]
    assert out.returncode == 0 and lines, f"{name} failed:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}"
    return json.loads(lines[-1].removeprefix("RESULT "))


def test_two_processes_train_like_one_with_the_same_global_batch(tmp_path, capsys):
    steps = ["--profile", "cpu", "--max-steps", "4", "--lora-dropout", "0", "--eval-every", "0",
             "--save-every", "0", "--report-to", "none", "--no-save"]
    accelerate = os.path.join(os.path.dirname(sys.executable), "accelerate")
    one = run([sys.executable, str(SCRIPT), *steps, "--batch-size", "8", "--output-dir", str(tmp_path / "one")],
              "one process")
    two = run([accelerate, "launch", "--config_file", str(CONFIGS / "cpu_2proc.yaml"), str(SCRIPT), *steps,
               "--batch-size", "4", "--output-dir", str(tmp_path / "two")], "two processes")

    assert (one["processes"], two["processes"]) == (1, 2)
    assert two["distributed_type"] == "DistributedType.MULTI_CPU", "the two processes did not form a group"
    assert one["global_batch"] == two["global_batch"] == 8
    assert len(one["losses"]) == len(two["losses"]) == len(one["grad_norms"]) == len(two["grad_norms"]) == 4
    worst = {k: max(abs(a - b) / a for a, b in zip(one[k], two[k])) for k in ("losses", "grad_norms")}
    with capsys.disabled():
        for name, r in (("1 process × batch 8:  ", one), ("2 processes × batch 4:", two)):
            print(f"\n  {name} loss per step {[round(x, 5) for x in r['losses']]}, gradient norm "
                  f"{[round(x, 4) for x in r['grad_norms']]} ({r['train_seconds']} s of training)", end="")
        print(f"\n  largest relative difference: loss {worst['losses']:.1e}, gradient norm "
              f"{worst['grad_norms']:.1e} (tolerance {LOSS_RTOL:.0e})")
    assert max(worst.values()) <= LOSS_RTOL


def test_fsdp_on_the_cpu_profile_is_refused_with_the_fix(monkeypatch):
    monkeypatch.setenv("ACCELERATE_USE_FSDP", "true")
    with pytest.raises(SystemExit, match="cpu_2proc.yaml"):
        load_script().main(["--profile", "cpu", "--max-steps", "1"])


def launch_env(config: str):
    """What `accelerate launch --config_file <config>` decides, and the environment its processes get."""
    from accelerate.commands.launch import _validate_launch_command, launch_command_parser
    from accelerate.utils.launch import prepare_multi_gpu_env

    args = launch_command_parser().parse_args(["--config_file", str(CONFIGS / config), str(SCRIPT)])
    args, cfg, _ = _validate_launch_command(args)
    return args, cfg, (prepare_multi_gpu_env(args) if args.multi_gpu or args.use_fsdp else {})


def test_single_gpu_config_is_one_process():
    args, cfg, _ = launch_env("single_gpu.yaml")
    assert (cfg.distributed_type.value, cfg.num_processes, cfg.num_machines) == ("NO", 1, 1)
    assert not (args.multi_gpu or args.use_fsdp or cfg.use_cpu)


def test_ddp_config_is_data_parallel_on_one_machine():
    args, cfg, env = launch_env("ddp.yaml")
    assert cfg.distributed_type.value == "MULTI_GPU" and cfg.num_machines == 1 and cfg.num_processes >= 2
    assert args.multi_gpu and env.get("ACCELERATE_USE_FSDP") is None and not cfg.use_cpu


def test_fsdp_config_shards_a_4bit_model():
    args, cfg, env = launch_env("fsdp_qlora.yaml")
    assert cfg.distributed_type.value == "FSDP" and args.use_fsdp
    # the script's switch to a float storage dtype and no device map
    assert env["ACCELERATE_USE_FSDP"] == "true"
    assert env["FSDP_SHARDING_STRATEGY"] == "FULL_SHARD"
    assert env["FSDP_CPU_RAM_EFFICIENT_LOADING"] == "true" and env["FSDP_SYNC_MODULE_STATES"] == "true"
    assert env["FSDP_USE_ORIG_PARAMS"] == "false"
    assert env["FSDP_AUTO_WRAP_POLICY"] == "TRANSFORMER_BASED_WRAP"
    assert cfg.mixed_precision == "no", "precision comes from the script's SFTConfig (fp16 on a T4, bf16 from 8.0)"


def test_multi_node_config_names_its_placeholders():
    args, cfg, env = launch_env("multi_node.yaml")
    assert cfg.num_machines >= 2 and cfg.num_processes % cfg.num_machines == 0
    assert cfg.machine_rank == 0 and cfg.main_process_ip and cfg.main_process_port
    comments = [line for line in (CONFIGS / "multi_node.yaml").read_text().splitlines() if line.startswith("#")]
    for field in ("main_process_ip", "main_process_port", "num_machines", "num_processes", "--machine_rank"):
        assert any(line.lstrip("# ").startswith(field) or f" {field} " in line for line in comments), \
            f"{field} is set but no comment line explains it"


def test_cpu_config_forms_a_cpu_group():
    args, cfg, _ = launch_env("cpu_2proc.yaml")
    assert cfg.num_processes == 2 and args.multi_gpu  # the torchrun launcher; use_cpu=True in the SFTConfig


def test_every_config_is_checked_and_documented():
    checked = {"single_gpu.yaml", "ddp.yaml", "fsdp_qlora.yaml", "multi_node.yaml", "cpu_2proc.yaml"}
    assert {p.name for p in CONFIGS.glob("*.yaml")} == checked
    for name in checked:
        assert "accelerate launch --config_file scripts/accelerate/" + name in (CONFIGS / name).read_text()
