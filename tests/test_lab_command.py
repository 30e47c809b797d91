"""The README's lab command starts a JupyterLab server that answers on localhost."""

import os
import signal
import socket
import subprocess
import time
import urllib.request

import utils


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_make_lab_serves_the_course():
    port = _free_port()
    args = f"--no-browser --ip=127.0.0.1 --port={port} --IdentityProvider.token=course-test"
    proc = subprocess.Popen(
        ["make", "-s", "lab", f"LAB_ARGS={args}"], cwd=utils.ROOT, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}/api/contents/notebooks?token=course-test"
        deadline = time.time() + 90
        while True:
            try:
                body = urllib.request.urlopen(url, timeout=2).read().decode()
                break
            except OSError:
                assert proc.poll() is None, "make lab exited early"
                assert time.time() < deadline, "JupyterLab did not answer within 90 s"
                time.sleep(0.5)
        assert "00_setup_check.ipynb" in body
        lab = urllib.request.urlopen(f"http://127.0.0.1:{port}/lab?token=course-test", timeout=5)
        assert lab.status == 200
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
