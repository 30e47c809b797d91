"""The README and its docs: links that lead somewhere, a course map with every notebook, a short README.

(That each notebook's header CPU time equals the course map's is the notebook linter's rule: ci/lint_notebooks.py.)

The README is for newcomers; testing, maintaining and dated measurements live in docs/testing.md,
docs/maintaining.md and bench/RESULTS.md, and the README links each of them.
"""

import re

import pytest

from ci.lint_notebooks import ROOT, course_map_cpu_times

README = ROOT / "README.md"
DOCS = [README, ROOT / "docs" / "testing.md", ROOT / "docs" / "maintaining.md"]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
MAX_README_CHARS = 12_000

# A markdown link's target: ](path) or ](path#anchor), up to the closing parenthesis or a title.
LINK = re.compile(r"\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
FENCE = re.compile(r"^```.*?^```", re.S | re.M)


def relative_links(text: str) -> list[str]:
    """Every relative link target in markdown ``text`` (no web links, no anchors within the page, no code blocks)."""
    targets = LINK.findall(FENCE.sub("", text))
    return [t for t in targets if not re.match(r"[a-z][a-z0-9+.-]*:", t, re.I) and not t.startswith("#")]


def test_relative_links_finds_paths_and_skips_the_rest():
    text = ("[a](docs/testing.md) [b](../bench/RESULTS.md#x) [c](https://example.com/x.md) [d](#layout) "
            "[![e](https://img.example/x.svg)](https://example.com) [f](scripts/accelerate)\n"
            "```bash\n[g](nowhere.md)\n```\n")
    assert relative_links(text) == ["docs/testing.md", "../bench/RESULTS.md#x", "scripts/accelerate"]


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_relative_link_leads_to_a_file(doc):
    assert doc.exists(), f"{doc.relative_to(ROOT)} is missing"
    links = relative_links(doc.read_text(encoding="utf-8"))
    assert links, f"{doc.relative_to(ROOT)} has no relative links to check"
    broken = [t for t in links if not (doc.parent / t.split("#", 1)[0]).exists()]
    assert not broken, f"{doc.relative_to(ROOT)} links to paths that do not exist: {broken}"


def test_the_course_map_lists_every_notebook():
    assert sorted(course_map_cpu_times()) == [p.name for p in NOTEBOOKS]


def test_readme_links_the_docs_and_results():
    links = {t.split("#", 1)[0] for t in relative_links(README.read_text(encoding="utf-8"))}
    for target in ("docs/testing.md", "docs/maintaining.md", "bench/RESULTS.md"):
        assert target in links, f"README.md does not link {target}"


def test_readme_is_short():
    size = len(README.read_text(encoding="utf-8"))
    assert size < MAX_README_CHARS, f"README.md is {size:,} characters; move detail to docs/ (limit {MAX_README_CHARS:,})"


def test_readme_names_the_two_commands():
    text = README.read_text(encoding="utf-8")
    assert "make lab" in text and "make test" in text
    assert re.search(r"`make test` is the test command", text)
