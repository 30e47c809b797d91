"""The course's pins against Colab's published runtime (ci/colab/): shared pins agree, or say why not."""

from ci import colab_runtime
from utils import colab


def test_every_pin_shared_with_colab_matches_or_says_why():
    assert colab_runtime.disagreements() == []


def test_a_silent_disagreement_fails(tmp_path):
    req = tmp_path / "requirements-dev.txt"
    req.write_text("numpy==2.4.6\npandas==3.1.1  # differs from Colab: a planted reason\nnbval==0.11.0\n")
    bad = colab_runtime.disagreements((req,))
    assert len(bad) == 1 and "numpy==2.4.6, Colab has 2.1.3" in bad[0], bad


def test_colab_list_reads_the_runtime_students_get():
    v = colab_runtime.colab_versions()
    assert (v["torch"], v["numpy"], v["pandas"], v["ipykernel"], v["jupyter-client"]) == (
        "2.11.0", "2.1.3", "2.2.3", "6.17.1", "7.4.9")
    assert len(v) > 600 and "google-colab" not in v  # installed from a file: no version to compare


def test_requirements_txt_is_only_the_course_stack():
    """What Colab gets: no kernel stack, no numpy/pandas/torch, no test tools."""
    course = colab.pins(colab_runtime.ROOT / "requirements.txt")
    forbidden = set(colab.ALWAYS_PROTECTED) | {"jupyterlab", "nbval", "pytest", "ruff", "mypy", "nbqa"}
    assert not forbidden & set(course), forbidden & set(course)


def test_the_dev_environment_pins_colabs_shared_packages():
    dev = colab.pins(colab_runtime.ROOT / "requirements-dev.txt")
    colab_v = colab_runtime.colab_versions()
    for name in ("numpy", "pandas", "matplotlib", "scikit-learn", "ipykernel", "ipython", "jupyter-client"):
        assert dev.get(name) == colab_v[name], name
