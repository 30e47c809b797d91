"""TensorBoard logs as tables and static plots, and TensorBoard's own smoothing, reproduced.

The Trainer writes one directory of event files per run (``events.out.tfevents.*``); TensorBoard
draws them live. The same numbers are read here into pandas, so a notebook can show its curves
as ordinary matplotlib figures — which render on GitHub and in CI, where no server runs.

    >>> from utils import tb
    >>> df = tb.read_scalars("outputs/05_tb")      # columns run, tag, step, value, wall_time
    >>> tb.plot_scalars(df, "train/loss", smoothing=0.6)
    >>> tb.smooth([1.0, 2.0, 3.0], 0.5)            # TensorBoard's smoothing slider, in code

Run names follow TensorBoard: the path of the run's directory relative to the logdir
(``"."`` when the event files lie in the logdir itself).
"""

from __future__ import annotations

import math
import os
import signal
import time
from pathlib import Path

EVENT_GLOB = "events.out.tfevents.*"
COLUMNS = ["run", "tag", "step", "value", "wall_time"]


class NoEventFiles(FileNotFoundError):
    """The directory exists but holds no TensorBoard event files."""


def find_runs(logdir: str | Path) -> dict[str, Path]:
    """Every run under ``logdir``: ``{run name: directory}``, sorted by name.

    A run is a directory that directly contains event files, as for TensorBoard. Raises
    ``FileNotFoundError`` when ``logdir`` does not exist and ``NoEventFiles`` when nothing
    under it is an event file (both naming the path).
    """
    logdir = Path(logdir)
    if not logdir.exists():
        raise FileNotFoundError(
            f"TensorBoard log directory {logdir} does not exist. "
            "Train first (report_to='tensorboard'), or point at the directory the Trainer wrote."
        )
    if not logdir.is_dir():
        raise NotADirectoryError(f"{logdir} is a file; give the directory that holds the runs.")
    dirs = sorted({p.parent for p in logdir.rglob(EVENT_GLOB) if p.is_file()})
    if not dirs:
        raise NoEventFiles(
            f"No TensorBoard event files ({EVENT_GLOB}) under {logdir}. "
            "Did the training run with report_to='tensorboard' and log at least once?"
        )
    return {d.relative_to(logdir).as_posix(): d for d in dirs}


def read_scalars(logdir: str | Path, tags: list[str] | None = None, runs: list[str] | None = None):
    """All scalars under ``logdir`` as a long ``DataFrame`` (columns run, tag, step, value, wall_time).

    ``tags`` / ``runs`` keep only those (an unknown name is an error listing the known ones).
    Values are what the event files hold: 32-bit floats, widened to float64.
    """
    import pandas as pd
    from tensorboard.backend.event_processing.event_accumulator import SCALARS, EventAccumulator

    found = find_runs(logdir)
    if runs is not None:
        unknown = sorted(set(runs) - set(found))
        if unknown:
            raise KeyError(f"no run {', '.join(map(repr, unknown))} under {logdir}; runs there: {', '.join(found)}")
        found = {r: found[r] for r in runs}
    rows, all_tags = [], set()
    for run, directory in found.items():
        acc = EventAccumulator(str(directory), size_guidance={SCALARS: 0})  # 0 = keep every point
        acc.Reload()
        run_tags = acc.Tags()["scalars"]
        all_tags.update(run_tags)
        for tag in run_tags:
            if tags is not None and tag not in tags:
                continue
            rows += [(run, tag, e.step, e.value, e.wall_time) for e in acc.Scalars(tag)]
    if tags is not None:
        unknown = sorted(set(tags) - all_tags)
        if unknown:
            raise KeyError(f"no scalar {', '.join(map(repr, unknown))} under {logdir}; "
                           f"scalars there: {', '.join(sorted(all_tags))}")
    df = pd.DataFrame(rows, columns=COLUMNS)
    return df.astype({"step": "int64", "value": "float64", "wall_time": "float64"})


def curves(df, tag: str):
    """One scalar as a wide table: index step, one column per run (NaN where a run has no point)."""
    sub = df[df["tag"] == tag]
    if sub.empty:
        raise KeyError(f"no scalar {tag!r} in this table; scalars: {', '.join(sorted(df['tag'].unique()))}")
    return sub.pivot_table(index="step", columns="run", values="value", aggfunc="last").sort_index()


def smooth(values, weight: float = 0.6):
    """TensorBoard's smoothing slider: a debiased exponential moving average.

    Reproduces the web app's code (``webfiles.zip`` → ``index.js``, the scalar card's data series;
    the legacy line chart's ``resmoothDataset`` is the same), for ``0 <= weight < 1``::

        last = 0; n = 0
        for each point y:
            if y is not finite: keep y as it is (not counted)
            else: last = weight * last + (1 - weight) * y;  n += 1
                  smoothed = last / (1 - weight ** n)      # debias: early points are not pulled to 0

    A series whose points are all equal is returned unchanged, and ``weight == 0`` is no smoothing.
    Returns a float64 ``numpy`` array of the same length.
    """
    import numpy as np

    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not (0 <= weight < 1):
        raise ValueError(f"smoothing weight must be a number in [0, 1) like TensorBoard's slider, got {weight!r}")
    try:
        y = np.asarray(values, dtype="float64")
    except (TypeError, ValueError) as err:
        raise ValueError(f"values must be numbers: {err}") from None
    if y.ndim != 1:
        raise ValueError(f"values must be one series (1-D), got shape {y.shape}")
    if weight == 0 or y.size == 0 or (y == y[0]).all():
        return y.copy()
    out, last, n = y.copy(), 0.0, 0
    for i, v in enumerate(y):
        if math.isfinite(v):
            last = last * weight + (1 - weight) * v
            n += 1
            out[i] = last / (1 - weight**n)
    return out


def summarize(df, tag: str = "eval/loss"):
    """Per run: the final and the best (lowest) value of ``tag`` and the step of the best.

    The step of the best validation loss is the one early stopping would keep.
    """
    import pandas as pd

    table = curves(df, tag)
    rows = {}
    for run in table.columns:
        s = table[run].dropna()
        rows[run] = {"final": s.iloc[-1], "final step": int(s.index[-1]),
                     "best": s.min(), "best step": int(s.idxmin())}
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("run")


def plot_scalars(df, tag: str, ax=None, smoothing: float = 0.0, runs: list[str] | None = None,
                 title: str | None = None, logy: bool = False, marker: str | None = None):
    """Draw ``tag`` for each run on ``ax``, like TensorBoard: the raw curve faint, the smoothed one solid.

    With ``smoothing == 0`` only the raw curve is drawn (solid). Returns the axes.
    """
    import matplotlib.pyplot as plt

    table = curves(df, tag)
    runs = list(table.columns) if runs is None else runs
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.2))
    for i, run in enumerate(runs):
        if run not in table.columns:
            raise KeyError(f"run {run!r} has no {tag!r}; runs with it: {', '.join(table.columns)}")
        s = table[run].dropna()
        color = f"C{i % 10}"
        if smoothing:
            ax.plot(s.index, s.values, color=color, alpha=0.25, lw=1)
            ax.plot(s.index, smooth(s.values, smoothing), color=color, lw=2, marker=marker, label=run)
        else:
            ax.plot(s.index, s.values, color=color, lw=1.5, marker=marker, label=run)
    ax.set(xlabel="step", ylabel=tag, title=title or (tag + (f"  (smoothing {smoothing})" if smoothing else "")))
    if logy:
        ax.set_yscale("log")
    ax.grid(alpha=0.3)
    if len(runs) > 1:
        ax.legend(fontsize=8)
    return ax


def stop_tensorboard(logdir: str | Path | None = None, port: int | None = None, timeout: float = 10.0) -> list[int]:
    """Stop the TensorBoard servers ``%tensorboard`` started for ``logdir`` (or on ``port``); their pids.

    The notebook magic starts the server as a child process of the kernel and never stops it:
    it keeps serving after the notebook is done. This sends each matching server SIGTERM
    (TensorBoard then removes its bookkeeping file), waits up to ``timeout`` seconds, and kills
    it if it is still there. Without a matching server it does nothing and returns ``[]``.
    """
    from tensorboard import manager

    if logdir is None and port is None:
        raise ValueError("say which TensorBoard to stop: logdir=... or port=...")
    want = Path(logdir).resolve() if logdir is not None else None
    infos = [i for i in manager.get_all()
             if (port is None or i.port == port) and (want is None or Path(i.logdir).resolve() == want)]
    stopped = []
    for info in infos:
        pid = info.pid
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass  # already gone; only its info file is left
        else:
            deadline = time.monotonic() + timeout
            while _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.1)
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
                while _alive(pid):
                    time.sleep(0.05)
            stopped.append(pid)
        # A killed or vanished server leaves its info file behind; %tensorboard would then "reuse" a dead one.
        Path(manager._get_info_dir(), f"pid-{pid}.info").unlink(missing_ok=True)
    return stopped


def _alive(pid: int) -> bool:
    """Is ``pid`` still running? Reaps it first when it is our own exited child (no zombie left)."""
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    except ChildProcessError:  # not our child: ask the kernel whether it exists
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
