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
