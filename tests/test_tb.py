"""utils.tb: event files → pandas, TensorBoard's smoothing, plots, and every bad input."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from utils import tb


@pytest.fixture(scope="module")
def logdir(tmp_path_factory):
    """Two runs written with the same writer the Trainer uses (torch's SummaryWriter)."""
    from torch.utils.tensorboard import SummaryWriter

    root = tmp_path_factory.mktemp("logs")
    for run, losses in {"lr_small": [3.0, 2.5, 2.25, 2.0], "lr_big": [3.0, 5.0, 4.0, 6.5]}.items():
        w = SummaryWriter(log_dir=str(root / run))
        for step, loss in enumerate(losses, start=1):
            w.add_scalar("train/loss", loss, step)
            w.add_scalar("train/learning_rate", 1e-3 * step, step)
        for step, loss in ((2, losses[1] + 0.5), (4, losses[3] + 0.25)):
            w.add_scalar("eval/loss", loss, step)
        w.close()
    return root


# --- reading -----------------------------------------------------------------------------------

def test_find_runs_names_runs_like_tensorboard(logdir):
    assert list(tb.find_runs(logdir)) == ["lr_big", "lr_small"]
    assert list(tb.find_runs(logdir / "lr_big")) == ["."]  # a run directory given directly


def test_read_scalars_long_table(logdir):
    df = tb.read_scalars(logdir)
    assert list(df.columns) == tb.COLUMNS
    assert set(df["tag"]) == {"train/loss", "train/learning_rate", "eval/loss"}
    small = df[(df.run == "lr_small") & (df.tag == "train/loss")]
    assert small["step"].tolist() == [1, 2, 3, 4]
    assert small["value"].tolist() == [3.0, 2.5, 2.25, 2.0]  # exact in float32
    lr = df[(df.run == "lr_big") & (df.tag == "train/learning_rate")]["value"].to_numpy()
    np.testing.assert_array_equal(lr, np.float32([1e-3, 2e-3, 3e-3, 4e-3]))  # stored as 32-bit floats


def test_read_scalars_filters(logdir):
    df = tb.read_scalars(logdir, tags=["eval/loss"], runs=["lr_big"])
    assert set(df["tag"]) == {"eval/loss"} and set(df["run"]) == {"lr_big"}
    assert df["value"].tolist() == [5.5, 6.75]


def test_curves_and_summary(logdir):
    df = tb.read_scalars(logdir)
    wide = tb.curves(df, "train/loss")
    assert list(wide.columns) == ["lr_big", "lr_small"] and wide.index.tolist() == [1, 2, 3, 4]
    s = tb.summarize(df, "train/loss")
    assert s.loc["lr_big"].to_dict() == {"final": 6.5, "final step": 4, "best": 3.0, "best step": 1}
    assert s.loc["lr_small"].to_dict() == {"final": 2.0, "final step": 4, "best": 2.0, "best step": 4}


def test_missing_directory_names_the_path(tmp_path):
    missing = tmp_path / "no_such_logs"
    with pytest.raises(FileNotFoundError, match="no_such_logs.*does not exist"):
        tb.read_scalars(missing)


def test_directory_without_event_files_names_the_path(tmp_path):
    (tmp_path / "empty_run").mkdir()
    (tmp_path / "empty_run" / "notes.txt").write_text("not an event file")
    with pytest.raises(tb.NoEventFiles, match=str(tmp_path).replace("\\", "\\\\")):
        tb.read_scalars(tmp_path)


def test_a_file_instead_of_a_directory(tmp_path):
    f = tmp_path / "loss.csv"
    f.write_text("1,2")
    with pytest.raises(NotADirectoryError, match="loss.csv"):
        tb.find_runs(f)


def test_unknown_tag_or_run_lists_the_known_ones(logdir):
    with pytest.raises(KeyError, match="'eval/accuracy'.*eval/loss, train/learning_rate, train/loss"):
        tb.read_scalars(logdir, tags=["eval/accuracy"])
    with pytest.raises(KeyError, match="'lr_huge'.*lr_big, lr_small"):
        tb.read_scalars(logdir, runs=["lr_huge"])
    with pytest.raises(KeyError, match="'train/grad_norm'"):
        tb.curves(tb.read_scalars(logdir), "train/grad_norm")


# --- smoothing -----------------------------------------------------------------------------------

def test_smooth_hand_computed():
    # weight 0.5:  last = 0.5,  1.25,  2.125;  debias by 1 - 0.5^n = 0.5, 0.75, 0.875
    np.testing.assert_allclose(tb.smooth([1.0, 2.0, 3.0], 0.5), [1.0, 5 / 3, 17 / 7])
    # weight 0.6 (TensorBoard's default): 0.4·4 = 1.6 / 0.4 = 4;  0.96 + 0.4·2 = 1.76 / 0.64 = 2.75
    np.testing.assert_allclose(tb.smooth([4.0, 2.0], 0.6), [4.0, 2.75])


def test_smooth_first_point_is_never_pulled_towards_zero():
    y = tb.smooth([10.0, 10.5, 9.5], 0.99)
    assert y[0] == pytest.approx(10.0)  # a plain EMA starting at 0 would give 0.1


def test_smooth_special_cases():
    np.testing.assert_array_equal(tb.smooth([3.0, 1.0, 2.0], 0), [3.0, 1.0, 2.0])  # weight 0: raw
    np.testing.assert_array_equal(tb.smooth([2.0, 2.0, 2.0], 0.9), [2.0, 2.0, 2.0])  # constant: unchanged
    assert tb.smooth([], 0.6).size == 0


def test_smooth_skips_non_finite_points_as_tensorboard_does():
    y = tb.smooth([1.0, math.nan, 3.0, math.inf], 0.5)
    assert y[0] == 1.0 and math.isnan(y[1]) and math.isinf(y[3])
    assert y[2] == pytest.approx((0.25 + 1.5) / 0.75)  # the NaN is not counted in the debiasing


def test_smooth_accepts_pandas_and_keeps_length():
    s = pd.Series([1.0, 2.0, 3.0, 4.0])
    assert tb.smooth(s, 0.3).shape == (4,)


@pytest.mark.parametrize("weight", [1, 1.0, -0.1, 1.5, math.nan, "0.6", None, True])
def test_smooth_rejects_bad_weights(weight):
    with pytest.raises(ValueError, match="smoothing weight"):
        tb.smooth([1.0, 2.0], weight)


def test_smooth_rejects_bad_values():
    with pytest.raises(ValueError, match="1-D"):
        tb.smooth([[1.0, 2.0], [3.0, 4.0]], 0.5)
    with pytest.raises(ValueError, match="numbers"):
        tb.smooth(["a", "b"], 0.5)


# --- plotting and stopping -----------------------------------------------------------------------

def test_plot_scalars_draws_raw_and_smoothed(logdir):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    df = tb.read_scalars(logdir)
    ax = tb.plot_scalars(df, "train/loss", smoothing=0.6)
    assert len(ax.lines) == 4  # per run: faint raw + solid smoothed
    np.testing.assert_allclose(ax.lines[1].get_ydata(), tb.smooth([3.0, 5.0, 4.0, 6.5], 0.6))
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["lr_big", "lr_small"]
    with pytest.raises(KeyError, match="lr_huge"):
        tb.plot_scalars(df, "train/loss", runs=["lr_huge"])
    plt.close("all")


def test_stop_tensorboard_without_a_server_is_a_no_op(tmp_path):
    assert tb.stop_tensorboard(port=1) == []
    assert tb.stop_tensorboard(tmp_path / "never_served") == []
    with pytest.raises(ValueError, match="logdir=... or port=..."):
        tb.stop_tensorboard()
