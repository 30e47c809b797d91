import sys
import types

from utils import auth

FAKE = "hf_" + "x" * 34  # planted fake token: must never be echoed


def test_token_from_environment_is_never_shown(monkeypatch):
    monkeypatch.setenv("HF_TOKEN", f"  {FAKE}\n")
    token = auth.get_token()
    assert token.value == FAKE and token.source == "HF_TOKEN environment variable"
    for text in (repr(token), str(token), f"{token}", auth.status(token)):
        assert FAKE not in text and "hf_" not in text


def test_colab_secret_wins(monkeypatch):
    userdata = types.SimpleNamespace(get=lambda key: FAKE if key == "HF_TOKEN" else None)
    colab = types.ModuleType("google.colab")
    colab.userdata = userdata
    monkeypatch.setitem(sys.modules, "google", types.ModuleType("google"))
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    monkeypatch.setenv("HF_TOKEN", "hf_other")
    assert auth.get_token().source == "Colab secrets"


def test_colab_secret_not_granted_falls_back_quietly(monkeypatch):
    def refuse(key):
        raise PermissionError("notebook has no access to secret")

    colab = types.ModuleType("google.colab")
    colab.userdata = types.SimpleNamespace(get=refuse)
    monkeypatch.setitem(sys.modules, "google", types.ModuleType("google"))
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    assert not auth.get_token()


def test_missing_token_explains_what_to_do(monkeypatch):
    monkeypatch.delenv("HF_TOKEN", raising=False)
    token = auth.get_token()
    assert not token and token.source == "none"
    assert "accept Meta's license" in auth.status(token) and "HF_TOKEN" in auth.status(token)


def test_prompt_without_stdin_does_not_crash(monkeypatch):
    def no_stdin(prompt):
        raise RuntimeError("StdinNotImplementedError")

    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setattr("getpass.getpass", no_stdin)
    assert not auth.get_token(prompt=True)


def test_prompt_is_used_when_interactive(monkeypatch):
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setattr("getpass.getpass", lambda prompt: FAKE)
    assert auth.get_token(prompt=True).source == "prompt"


def test_gated_access_offline_is_reported_not_raised(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    ok, message = auth.gated_access(auth.LLAMA2_REPO, auth.Token(None, "none"))
    assert not ok and "could not be checked" in message
