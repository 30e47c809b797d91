"""`utils.colab.install`: what it protects, the clear errors, idempotence.

pip itself runs in test_colab_bootstrap.py (dry runs) and in the Colab replica stage (ci/colab_replica.py).
"""

from pathlib import Path

import pytest

import utils
from utils import colab


def course_copy(tmp_path: Path) -> Path:
    for name in colab.REQUIREMENTS:
        (tmp_path / name).write_text((Path(utils.ROOT) / name).read_text())
    return tmp_path


def test_second_install_does_nothing(tmp_path, monkeypatch):
    course = course_copy(tmp_path)
    calls = []
    monkeypatch.setattr(colab.subprocess, "run", lambda cmd, check: calls.append(cmd))
    assert colab.install(course) is True
    assert len(calls) == 2 and all("--no-deps" in c for c in calls[1:])
    assert colab.install(course) is False and len(calls) == 2
    (course / "requirements.txt").write_text("transformers==0.0.0\n")  # pins moved: install again
    assert colab.install(course) is True


def test_protected_holds_kernel_stack_numpy_torch_and_what_is_imported():
    keep = colab.protected({})
    have = colab.installed()
    for name in ("ipykernel", "ipython", "jupyter-client", "traitlets", "tornado", "numpy", "pandas", "torch"):
        assert keep.get(name) == have[name], name
    assert "pytest" in keep, "an imported package (pytest runs this test) must be held"


def test_an_imported_package_the_course_pins_elsewhere_is_released_for_a_restart():
    have = colab.installed()
    keep = colab.protected({"pytest": "0.0.1", "numpy": "0.0.1"})
    assert "pytest" not in keep, "imported but pinned elsewhere by the course: installed, then restart"
    assert keep["numpy"] == have["numpy"], "numpy is always protected, whatever the course asks"


def test_colab_pins_come_from_google_colab_metadata(monkeypatch):
    reqs = ["google-auth==2.47.0", "ipyparallel==8.8.0", "Jupyter_Server==2.14.0", "requests (==2.32.4)"]
    monkeypatch.setattr(colab.metadata, "requires", lambda dist: reqs if dist == "google-colab" else None)
    assert colab.colab_pins() == {"google-auth", "ipyparallel", "jupyter-server", "requests"}


def test_a_course_pin_on_a_protected_package_is_refused_before_pip(tmp_path, monkeypatch):
    course = course_copy(tmp_path)
    (course / "requirements.txt").write_text("# a faulty pin\nipykernel==0.0.1\n")
    monkeypatch.setattr(colab.subprocess, "run", lambda *a, **k: pytest.fail("pip must not run"))
    with pytest.raises(colab.InstallError, match=r"ipykernel==0.0.1 \(this runtime has .*Nothing was installed"):
        colab.install(course)
    assert not (course / colab.MARKER).exists()


def test_pip_refusing_is_a_clear_error_and_leaves_no_marker(tmp_path, monkeypatch):
    course = course_copy(tmp_path)

    cause = "trl 1.16.0 depends on pyarrow>=21.0.0\n    The user requested (constraint) pyarrow==18.1.0\n"

    def refuse(cmd, check=False, capture_output=False, text=False):
        if "--dry-run" in cmd:  # the verbose re-run that finds pip's explanation
            assert "--quiet" not in cmd
            return colab.subprocess.CompletedProcess(cmd, 1, "", f"ERROR: …\nThe conflict is caused by:\n    {cause}\nTo fix this …")
        raise colab.subprocess.CalledProcessError(1, cmd)

    monkeypatch.setattr(colab.subprocess, "run", refuse)
    with pytest.raises(colab.InstallError, match=r"protects: trl 1.16.0 depends on pyarrow>=21.0.0; The user requested "
                                                 r"\(constraint\) pyarrow==18.1.0\. pip resolves"):
        colab.install(course)
    assert not (course / colab.MARKER).exists()


def test_pins_reads_only_exact_pins(tmp_path):
    f = tmp_path / "r.txt"
    f.write_text("-r other.txt\n# c\nTorch_Vision==1.2.3  # why\nfoo>=1\nbar==2.0 \\\n    --hash=sha256:ab\n")
    assert colab.pins(f) == {"torch-vision": "1.2.3", "bar": "2.0"}
