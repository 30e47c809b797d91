"""The real TensorBoard server shows what the Trainer logged.

One tiny real training run (the cpu profile's 4-bit SmolLM2 with a LoRA adapter, a few steps,
logging every step) writes event files. Then:

- `tensorboard` is started on a free loopback port in its own process group, its HTTP API is
  read, and the training-loss series must equal the Trainer's own log, point for point (in the
  32-bit floats event files store); the server is stopped and no process of its group is left;
- the server the notebook's `%tensorboard` magic starts is stopped by `utils.tb.stop_tensorboard`;
- headless Chromium loads the dashboard: the page lists the run, and a screenshot is written
  (skipped, with the reason, where Chromium is not installed: `bash ci/ensure_chromium.sh`).
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from ci import tensorboard_screenshot as tbs
from utils import tb

RUN = "tiny_run"
STEPS = 3
SERVER_BUDGET_S = 120  # start + serve + stop, each test


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """Train 3 steps of 4 posts, logging to <tmp>/logs/tiny_run; return (logdir, Trainer log history)."""
    import datasets
    from utils import data, models, prompts, runtime, training

    datasets.disable_progress_bars()
    root = tmp_path_factory.mktemp("tb_server")
    logdir = root / "logs"
    profile = runtime.resolve_profile("cpu")
    tokenizer = models.load_tokenizer(profile)
    rows = data.load_sentiment()
    args = training.sft_config(profile, root / "out", learning_rate=5e-4, max_steps=STEPS, batch_size=4,
                               max_length=80, warmup=0.0, eval_steps=STEPS, logging_steps=1, seed=0)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TENSORBOARD_LOGGING_DIR", str(logdir / RUN))  # read when the Trainer is built
        trainer = training.sft_trainer(models.load_model(profile), args,
                                       train_dataset=prompts.sentiment_dataset(rows["train"][:4 * STEPS]),
                                       eval_dataset=prompts.sentiment_dataset(rows["validation"][:4]),
                                       processing_class=tokenizer,
                                       peft_config=training.lora_config(4, 8, 0.0))
        trainer.train()
    return logdir, trainer.state.log_history


def _logged(history, key):
    return [(h["step"], h[key]) for h in history if key in h]


def test_server_shows_the_training_loss_the_trainer_logged(trained):
    logdir, history = trained
    expected = _logged(history, "loss")
    assert [s for s, _ in expected] == list(range(1, STEPS + 1))

    start = time.monotonic()
    with tbs.serve(logdir, timeout=90, expect_runs=[RUN]) as (url, proc):
        assert url.startswith("http://127.0.0.1:")
        tags = tbs.get_json(url + "data/plugin/scalars/tags")[RUN]
        assert {"train/loss", "train/learning_rate", "train/grad_norm", "eval/loss"} <= set(tags)
        deadline = time.monotonic() + 30
        while len(points := tbs.scalars(url, RUN, "train/loss")) < len(expected) and time.monotonic() < deadline:
            time.sleep(0.5)  # the server may still be loading the run
        served_eval = tbs.scalars(url, RUN, "eval/loss")
    elapsed = time.monotonic() - start

    assert [s for _, s, _ in points] == [s for s, _ in expected]
    np.testing.assert_array_equal(np.float32([v for _, _, v in points]), np.float32([v for _, v in expected]))
    assert [(s, np.float32(v)) for _, s, v in served_eval] == [(s, np.float32(v)) for s, v in _logged(history, "eval_loss")]
    # ... and utils.tb reads the same numbers from the event files as the server serves
    df = tb.read_scalars(logdir, tags=["train/loss"])
    assert df["value"].tolist() == [v for _, _, v in points]

    assert proc.returncode is not None, "the server is still running"
    assert tbs.group_members(proc.pid) == [], "a process of the server's group was left behind"
    assert elapsed < SERVER_BUDGET_S


def test_notebook_magic_server_is_stopped_by_the_notebooks_helper(trained, monkeypatch, capsys):
    """`%tensorboard` runs tensorboard.notebook.start; outside IPython it prints instead of drawing."""
    from tensorboard import manager, notebook

    logdir, _ = trained
    binary = Path(sys.executable).with_name("tensorboard")
    if not shutil.which("tensorboard") and binary.is_file():
        monkeypatch.setenv("TENSORBOARD_BINARY", str(binary))  # as the notebook does in an unactivated venv
    monkeypatch.chdir(logdir)
    pids = []
    try:
        notebook.start(f"--logdir {logdir} --port 0")
        out = capsys.readouterr().out
        assert "http://localhost:" in out, out
        pids = [i.pid for i in manager.get_all() if Path(i.logdir).resolve() == logdir.resolve()]
        assert len(pids) == 1
        assert tb.stop_tensorboard(logdir) == pids
        assert not tb._alive(pids[0])
        assert not [i for i in manager.get_all() if i.pid == pids[0]], "its info file was left behind"
    finally:
        for pid in pids:  # whatever happened above, no server survives the test
            if tb._alive(pid):
                os.kill(pid, 9)


def test_dashboard_in_headless_chromium(trained, tmp_path):
    if tbs.chromium() is None:
        pytest.skip("Chromium is not installed (Debian: `bash ci/ensure_chromium.sh`, run as root, installs it)")
    logdir, _ = trained
    with tbs.serve(logdir, timeout=90, expect_runs=[RUN]) as (url, proc):
        dom = tbs.dump_dom(url + tbs.RUNS_PAGE)
        png = tbs.screenshot(url + tbs.DASHBOARD, tmp_path / "scalars.png", size=(1400, 900))
    assert tbs.group_members(proc.pid) == []
    assert "<title>TensorBoard</title>" in dom
    assert RUN in dom, "the page did not list the run: the web app did not load its data"

    import matplotlib.image

    pixels = matplotlib.image.imread(png)
    assert pixels.shape[:2] == (900, 1400)
    assert pixels[..., :3].std() > 0.05, "the screenshot is blank"
    keep = os.environ.get("TB_SCREENSHOT_DIR")  # to look at it: TB_SCREENSHOT_DIR=/tmp pytest ...
    if keep:
        shutil.copy(png, Path(keep) / "tensorboard_scalars.png")
