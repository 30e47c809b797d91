"""Serve a log directory with the real TensorBoard and photograph its scalars dashboard in headless Chromium.

    python -m ci.tensorboard_screenshot LOGDIR OUT.png [--dom OUT.html] [--size 1400x900]

Starts `tensorboard` on a free loopback port (its own process group, stopped in every case),
waits until the server lists the runs, then lets Chromium (Debian's `chromium` package;
`bash ci/ensure_chromium.sh` installs it) load the dashboard with a virtual-time budget, so the
JavaScript app finishes fetching and drawing before the screenshot is taken. `--dom` also saves
the DOM of TensorBoard's Time Series page after the same budget: the classic scalars dashboard
draws inside shadow roots, which `--dump-dom` does not serialize, while the Time Series page
lists the run names in the ordinary DOM (the test checks them there).

`tests/test_tensorboard_server.py` uses `serve()`, `scalars()`, `screenshot()` and `dump_dom()`.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome")
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--hide-scrollbars", "--mute-audio",
)
# The classic scalars dashboard, light theme, loss charts first, TensorBoard's default smoothing.
DASHBOARD = "?darkMode=false#scalars&tagFilter=loss&_smoothingWeight=0.6"
RUNS_PAGE = "?darkMode=false#timeseries"  # its runs table is in the light DOM


class ServerError(RuntimeError):
    """TensorBoard did not start, or did not serve the expected data in time."""


def chromium() -> str | None:
    """Path of a Chromium binary, or None when none is installed."""
    for name in CHROMIUM_CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


def _stop_group(proc: subprocess.Popen, grace: float = 10.0) -> None:
    """SIGTERM the process group ``proc`` leads, wait ``grace`` seconds, then SIGKILL what is left."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
        if not group_members(proc.pid):
            return
        time.sleep(0.2)  # children (e.g. TensorBoard's data server) exit just after their parent


def group_members(pgid: int) -> list[int]:
    """Live (non-zombie) processes of process group ``pgid``, read from /proc (Linux)."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text.rsplit(")", 1)[1].split()  # after "pid (comm)": state ppid pgrp ...
        if int(fields[2]) == pgid and fields[0] != "Z":
            pids.append(int(stat.parent.name))
    return pids


def get_json(url: str, timeout: float = 5.0):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return json.load(r)


@contextmanager
def serve(logdir: str | Path, timeout: float = 90.0, expect_runs=()):
    """Run TensorBoard over ``logdir`` on a free loopback port; yield ``(base_url, process)``.

    Waits until the HTTP API answers and lists every run in ``expect_runs``; on leaving, the
    whole process group is terminated (killed if it lingers), also when the body raised.
    """
    logdir = Path(logdir)
    if not logdir.is_dir():
        raise FileNotFoundError(f"TensorBoard log directory {logdir} does not exist")
    log = tempfile.NamedTemporaryFile(prefix="tensorboard-", suffix=".log", delete=False)
    cmd = [sys.executable, "-m", "tensorboard.main", "--logdir", str(logdir), "--host", "127.0.0.1",
           "--port", "0", "--reload_interval", "1"]
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + timeout
        url = None
        while url is None:
            text = Path(log.name).read_text(errors="replace")
            m = re.search(r"TensorBoard \S+ at (http://127\.0\.0\.1:\d+/)", text)
            if m:
                url = m.group(1)
            elif proc.poll() is not None or time.monotonic() > deadline:
                raise ServerError(f"TensorBoard did not start (exit code {proc.poll()}):\n{text[-2000:]}")
            else:
                time.sleep(0.2)
        while True:
            try:
                runs = get_json(url + "data/runs")
                if set(expect_runs) <= set(runs):
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError, json.JSONDecodeError):
                runs = None
            if time.monotonic() > deadline:
                raise ServerError(f"TensorBoard at {url} lists runs {runs}, expected {sorted(expect_runs)}")
            time.sleep(0.3)
        yield url, proc
    finally:
        _stop_group(proc)
        log.close()
        os.unlink(log.name)


def scalars(url: str, run: str, tag: str) -> list[tuple[float, int, float]]:
    """One scalar series through TensorBoard's HTTP API: ``[(wall_time, step, value), ...]``."""
    rows = get_json(f"{url}data/plugin/scalars/scalars?run={quote(run, safe='')}&tag={quote(tag, safe='')}")
    return [(w, int(s), v) for w, s, v in rows]


def _chromium_cmd(profile: str, size, budget_ms: int) -> list[str]:
    binary = chromium()
    if binary is None:
        raise FileNotFoundError("Chromium is not installed; run `bash ci/ensure_chromium.sh`")
    return [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--window-size={size[0]},{size[1]}",
            f"--virtual-time-budget={budget_ms}"]


def screenshot(url: str, png: str | Path, size=(1400, 900), budget_ms: int = 20000, timeout: float = 180.0) -> Path:
    """Load ``url`` in headless Chromium (fresh profile) for ``budget_ms`` of virtual time; save a PNG."""
    png = Path(png).resolve()
    png.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        _run(_chromium_cmd(profile, size, budget_ms) + [f"--screenshot={png}", url], timeout)
    if not png.is_file():
        raise RuntimeError(f"Chromium wrote no screenshot at {png}")
    return png


def dump_dom(url: str, size=(1400, 900), budget_ms: int = 20000, timeout: float = 180.0) -> str:
    """The DOM of ``url`` after ``budget_ms`` of virtual time in headless Chromium (fresh profile)."""
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        return _run(_chromium_cmd(profile, size, budget_ms) + ["--dump-dom", url], timeout)


def _run(cmd: list[str], timeout: float) -> str:
    """Run a command in its own process group; its stdout; the whole group is gone afterwards."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
    finally:
        _stop_group(proc, grace=5.0)
    if proc.returncode != 0:
        raise RuntimeError(f"{Path(cmd[0]).name} exited with {proc.returncode}")
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("logdir", type=Path)
    p.add_argument("png", type=Path)
    p.add_argument("--dom", type=Path, help="also save the page's DOM (HTML) here")
    p.add_argument("--size", default="1400x900", help="window size WIDTHxHEIGHT (default 1400x900)")
    p.add_argument("--budget-ms", type=int, default=20000, help="virtual time the page gets to load (ms)")
    a = p.parse_args(argv)
    size = tuple(int(x) for x in a.size.lower().split("x"))
    with serve(a.logdir) as (url, _):
        screenshot(url + DASHBOARD, a.png, size=size, budget_ms=a.budget_ms)
        if a.dom:
            a.dom.write_text(dump_dom(url + RUNS_PAGE, size=size, budget_ms=a.budget_ms))
    print(f"wrote {a.png}" + (f" and {a.dom}" if a.dom else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
