"""The Hugging Face token, without ever showing it.

Looked for in this order: Colab's secrets panel (key ``HF_TOKEN``), the
``HF_TOKEN`` environment variable, then — only when asked to and only in an
interactive session — a password prompt. The token is returned to the caller
and never printed; messages say *where* it came from, not what it is.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

HOW_TO_GET_ONE = (
    "To use the gated Llama 2 weights: (1) accept Meta's license on the model page "
    "meta-llama/Llama-2-7b-chat-hf on the Hugging Face Hub with your account; "
    "(2) create a read token under Settings > Access Tokens; (3) in Colab, add it in the "
    "key icon (Secrets) panel as HF_TOKEN and allow this notebook to read it; elsewhere, "
    "export HF_TOKEN=... before starting Jupyter. Without it the course uses the ungated "
    "NousResearch mirror on GPU, and nothing from the Hub on CPU."
)


@dataclass(frozen=True)
class Token:
    value: str | None
    source: str  # "Colab secrets", "HF_TOKEN environment variable", "prompt" or "none"

    def __bool__(self) -> bool:
        return bool(self.value)

    def __repr__(self) -> str:  # never leak the value through a notebook's output
        return f"Token(source={self.source!r}, present={bool(self.value)})"

    __str__ = __repr__


def _from_colab() -> str | None:
    if "google.colab" not in sys.modules:
        return None
    try:
        from google.colab import userdata

        return userdata.get("HF_TOKEN") or None
    except Exception:  # secret missing, or notebook not granted access
        return None


def get_token(prompt: bool = False) -> Token:
    """Find a Hugging Face token. Never raises for a missing token: returns ``Token(None, "none")``."""
    value = _from_colab()
    if value:
        return Token(value.strip(), "Colab secrets")
    value = os.environ.get("HF_TOKEN")
    if value and value.strip():
        return Token(value.strip(), "HF_TOKEN environment variable")
    if prompt and not os.environ.get("CI"):
        from getpass import getpass

        try:
            value = getpass("Hugging Face token (input hidden; leave empty to skip): ")
        except Exception:  # no stdin (e.g. a notebook run by nbclient)
            value = ""
        if value.strip():
            return Token(value.strip(), "prompt")
    return Token(None, "none")


def status(token: Token) -> str:
    """One human sentence about the token, safe to print."""
    if token:
        return f"Hugging Face token found ({token.source}); its value is not shown."
    return "No Hugging Face token found. " + HOW_TO_GET_ONE


LLAMA2_REPO = "meta-llama/Llama-2-7b-chat-hf"


def gated_access(repo_id: str, token: Token) -> tuple[bool, str]:
    """Can ``token`` download the gated ``repo_id``? Returns (yes/no, a sentence safe to print).

    Needs the Hub; call it only when ``runtime.hub_reachable()``.
    """
    from huggingface_hub import auth_check
    from huggingface_hub.errors import GatedRepoError

    try:
        auth_check(repo_id, token=token.value)
        return True, f"Access to {repo_id}: granted."
    except GatedRepoError:
        why = "no token given" if not token else "this account has not accepted the license yet"
        return False, f"Access to {repo_id}: refused ({why}). " + HOW_TO_GET_ONE
    except Exception as err:  # not found, network down, offline mode…
        return False, f"Access to {repo_id}: could not be checked ({type(err).__name__}). " + HOW_TO_GET_ONE
