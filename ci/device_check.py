"""Model calls on tensors that were never moved to the model's device: found by reading the code.

On the `cpu` profile everything lives on the CPU, so ``lm(**tokenizer(texts, return_tensors="pt"))`` runs in CI
and crashes on a student's T4 (``Expected all tensors to be on the same device … cpu … cuda:0``): what notebook
05 did until the GPU check ran it. This check follows, within each function and across a notebook's cells, the
names bound to tensors made on the CPU by a tokenizer (``return_tensors=...``) or by ``torch.tensor`` /
``torch.as_tensor`` without ``device=``, and the values derived from them (``enc["input_ids"]``,
``ids.clone()``), and reports a model call that receives one not moved by ``.to(...)`` / ``.cuda()``:

- ``f(**enc)``, for any callable but a few builtins (``dict``, ``print``…);
- a keyword ``input_ids=``, ``attention_mask=``, ``labels=``, ``position_ids=`` or ``inputs_embeds=``;
- the first positional argument of ``.generate(...)``, or of a callable whose name says it is a model
  (``model``, ``lm``, ``policy``, ``encoder``…).

It reads utils/, scripts/, bench/ and every notebook cell; a name it cannot follow (a function's parameter, a
loop variable) counts as moved, so it misses some bugs but does not cry wolf. The GPU check
(bench/gpu_notebook.py) is the rest.

    python -m ci.device_check [FILE ...]      # exit 1 and one line per finding
"""

from __future__ import annotations

import ast
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from ci.api_drift import strip_magics

ROOT = Path(__file__).resolve().parent.parent
PY_DIRS = ("utils", "scripts", "bench")
MODEL_KEYWORDS = {"input_ids", "attention_mask", "labels", "position_ids", "inputs_embeds", "pixel_values"}
NOT_MODELS = {"dict", "print", "len", "list", "tuple", "set", "zip", "repr", "str", "type", "isinstance", "format"}
MODEL_NAME = re.compile(r"(^|_)(model|lm|policy|encoder|decoder|net|reference|ref)(_|$)|model$", re.IGNORECASE)
CPU_TENSOR_FACTORIES = {"tensor", "as_tensor", "LongTensor", "FloatTensor", "from_numpy"}


@dataclass(frozen=True)
class Finding:
    where: str  # "notebooks/05_….ipynb cell 24, line 12" or "utils/x.py:40"
    call: str

    def __str__(self) -> str:
        return (f"{self.where}: {self.call} gets a tensor made on the CPU and never moved to the model's device; "
                f"add .to(model.device) where it is made (on a GPU this call fails)")


def _name(node: ast.AST) -> str:
    """The dotted text of a callee: `tokenizer`, `embedder.tokenizer`, `model.generate`."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_name(node.value)}.{node.attr}"
    if isinstance(node, ast.Call):
        return _name(node.func)
    return ""


def _keywords(call: ast.Call) -> dict[str, ast.expr]:
    return {k.arg: k.value for k in call.keywords if k.arg}


def _makes_cpu_tensors(call: ast.Call) -> bool:
    """A tokenizer call returning tensors, or torch.tensor(...) with no device=."""
    name, kw = _name(call.func), _keywords(call)
    last = name.rsplit(".", 1)[-1]
    if (last.lower().endswith(("tokenizer", "tok")) or last in ("apply_chat_template", "__call__", "encode_plus", "batch_encode_plus",
                                                 "pad")) and "return_tensors" in kw:
        value = kw["return_tensors"]
        return not (isinstance(value, ast.Constant) and value.value in (None, "np", "tf", "jax"))
    return name.startswith("torch.") and last in CPU_TENSOR_FACTORIES and "device" not in kw


class _Scope(ast.NodeVisitor):
    def __init__(self, where, unmoved: set[str] | None = None):
        self.where, self.unmoved = where, set(unmoved or ())
        self.findings: list[Finding] = []

    # -- what an expression holds ---------------------------------------------------------------------
    def on_cpu(self, node: ast.AST | None) -> bool:
        """Whether the expression is a CPU-made tensor (or a dict of them) not moved since."""
        if isinstance(node, ast.Name):
            return node.id in self.unmoved
        if isinstance(node, ast.Subscript):
            return self.on_cpu(node.value)
        if isinstance(node, ast.Attribute):
            return self.on_cpu(node.value)
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Attribute):
                if node.func.attr in ("to", "cuda"):
                    return False
                if _makes_cpu_tensors(node):
                    return True
                return self.on_cpu(node.func.value)  # enc.input_ids.clone(), ids.unsqueeze(0)
            return _makes_cpu_tensors(node)
        return False

    # -- statements ---------------------------------------------------------------------------------
    def _bind(self, target: ast.AST, cpu: bool) -> None:
        if isinstance(target, ast.Name):
            (self.unmoved.add if cpu else self.unmoved.discard)(target.id)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self._bind(element, False)

    def visit_Assign(self, node: ast.Assign) -> None:
        self.visit(node.value)
        for target in node.targets:
            self._bind(target, self.on_cpu(node.value))

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.visit(node.value)
            self._bind(node.target, self.on_cpu(node.value))

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.visit(node.value)

    def visit_For(self, node: ast.For) -> None:
        self.visit(node.iter)
        self._bind(node.target, False)
        for statement in node.body + node.orelse:
            self.visit(statement)

    def _function(self, node) -> None:
        inner = _Scope(self.where)  # parameters are not followed; a closure sees nothing of ours
        for statement in node.body:
            inner.visit(statement)
        self.findings += inner.findings

    visit_FunctionDef = visit_AsyncFunctionDef = _function

    def visit_Lambda(self, node: ast.Lambda) -> None:
        inner = _Scope(self.where)
        inner.visit(node.body)
        self.findings += inner.findings

    # -- calls --------------------------------------------------------------------------------------
    def visit_Call(self, node: ast.Call) -> None:
        self.generic_visit(node)
        name = _name(node.func)
        last = name.rsplit(".", 1)[-1]
        if last in NOT_MODELS or last.lower().endswith(("tokenizer", "tok")):
            return
        culprit = next((k.value for k in node.keywords if k.arg is None and self.on_cpu(k.value)), None)
        culprit = culprit or next((k.value for k in node.keywords if k.arg in MODEL_KEYWORDS and self.on_cpu(k.value)),
                                  None)
        if culprit is None and node.args and (last in ("generate", "forward") or MODEL_NAME.search(last)):
            culprit = node.args[0] if self.on_cpu(node.args[0]) else None
        if culprit is not None:
            self.findings.append(Finding(self.where(node.lineno), f"{name}(… {ast.unparse(culprit)} …)"))


def _check_module(tree: ast.Module, scope: _Scope) -> None:
    for statement in tree.body:
        scope.visit(statement)


def check_source(source: str, label: str) -> list[Finding]:
    scope = _Scope(lambda line: f"{label}:{line}")
    _check_module(ast.parse(source), scope)
    return scope.findings


def check_notebook(path: Path) -> list[Finding]:
    """Every code cell in order, names carried from cell to cell as the kernel carries them."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    label = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    findings: list[Finding] = []
    unmoved: set[str] = set()
    for index, cell in enumerate(cells):
        if cell["cell_type"] != "code":
            continue
        source = strip_magics("".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"])
        if source is None:  # a cell magic that is not Python
            continue
        scope = _Scope(lambda line, i=index: f"{label} cell {i}, line {line}", unmoved)
        _check_module(ast.parse(source), scope)
        findings += scope.findings
        unmoved = scope.unmoved
    return findings


def default_files() -> list[Path]:
    files = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    for directory in PY_DIRS:
        files += sorted((ROOT / directory).rglob("*.py"))
    return files


def check(paths: list[Path] | None = None) -> list[Finding]:
    findings: list[Finding] = []
    for path in paths or default_files():
        if path.suffix == ".ipynb":
            findings += check_notebook(path)
        else:
            label = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
            findings += check_source(path.read_text(encoding="utf-8"), str(label))
    return findings


if __name__ == "__main__":
    found = check([Path(p).resolve() for p in sys.argv[1:]] or None)
    print("\n".join(map(str, found)) or "device check passed: every model call gets tensors moved to its device")
    sys.exit(1 if found else 0)
