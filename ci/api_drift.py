"""API drift: does every keyword argument the course passes to the Hugging Face stack still exist?

    python -m ci.api_drift            # check notebooks/*.ipynb, utils/*.py, bench/*.py, scripts/*.py; exit 1 on drift
    python -m ci.api_drift --verbose  # also list what could not be verified, and why

Libraries renaming arguments (TRL's ``max_seq_length`` → ``max_length``, transformers'
``evaluation_strategy`` → ``eval_strategy``, ``torch_dtype`` → ``dtype``…) is the most common way a
course notebook breaks for students. This check finds it statically, on CPU, in seconds.

How it works
------------
1. *Collect.* Every code cell of every notebook (IPython ``%magics`` and ``!shell`` lines blanked, so line
   numbers still match) and every ``utils/*.py``, ``bench/*.py`` and ``scripts/*.py`` file is parsed with ``ast``. A
   notebook is one namespace (its cells share imports and variables); a ``.py`` file is one namespace.
2. *Resolve callees.* A call is checked when its callee resolves to an object of ``LIBRARIES``:
   - through imports, wherever they are (``from trl import SFTConfig`` → ``trl.SFTConfig``,
     ``import transformers as tf; tf.AutoTokenizer.from_pretrained`` …);
   - through the type of a variable, inferred from what it was assigned: ``x = SFTTrainer(...)``,
     ``x = AutoTokenizer.from_pretrained(...)``, or a course factory (``models.load_tokenizer`` → a
     tokenizer, ``models.load_model`` → a Llama model, ``training.sft_config`` → ``SFTConfig``, see
     ``FACTORIES``). A name never assigned in its namespace (a function parameter) gets its type from its
     conventional name (``tokenizer``, ``model``, ``trainer``, ``embedder``: ``NAME_HINTS``); a name
     assigned from anything unknown is left alone. ``model.generate(...)``, ``tokenizer(...)``,
     ``model(...)`` (→ ``forward``) and ``tokenizer.apply_chat_template(...)`` are then checked, and a
     method that no longer exists on such an object is reported too;
   - calls into ``utils`` functions are checked against the function's own parameters (read from its
     source), and keywords it forwards with ``**extra`` into a library call are checked against that
     call's target (``training.sft_config(..., train_sampling_strategy=...)`` → ``trl.SFTConfig``).
3. *Verify each keyword passed literally* (``f(x=1)``; ``f(**d)`` cannot be checked and is skipped):
   - dataclass configs (``TrainingArguments``, ``SFTConfig``, ``LoraConfig``…): the ``__init__`` fields. A
     field whose help says *deprecated* fails too (it is about to disappear), and a literal string value
     is checked against the field's ``choices`` or its ``Enum`` type (``optim="paged_adamw_32bit"``);
   - other callables: ``inspect.signature``. A ``**kwargs`` typed ``Unpack[SomeTypedDict]`` accepts the
     TypedDict's keys. Where the library reads ``**kwargs`` itself, the names it pops are found by reading
     its source (``kwargs.pop("name")``, ``kwargs.get("name")``, ``kwargs["name"]``, ``"name" in kwargs``);
   - ``**kwargs`` that go on somewhere else are followed for the calls the course makes (``_rule``):
     ``X.from_pretrained`` of a model → its own and ``_BaseAutoModelClass``'s popped names, plus the
     model config's attributes (the course's models are all Llama: ``LlamaConfig``); tokenizer
     ``from_pretrained`` → hub arguments, tokenizer ``__init__`` arguments and special tokens;
     ``generate`` → ``GenerationConfig`` attributes plus the model's ``forward`` and
     ``prepare_inputs_for_generation`` arguments (what transformers' own ``_validate_model_kwargs``
     accepts); ``apply_chat_template`` → its parameters plus ``TEMPLATE_VARIABLES`` (it passes any other
     keyword silently to the Jinja template, so a renamed parameter would otherwise vanish without error);
     ``BitsAndBytesConfig`` → its parameters (it only warns about the rest).
   - Anything else with an open ``**kwargs`` cannot be verified: such keywords are listed as
     *unverified* (``--verbose``), never as failures.

A failure names the file, the notebook cell (1-based, counting markdown cells, as the notebook linter
does), the line inside the cell, the callee and the argument. ``make drift-latest`` runs this same module
in a throw-away virtual environment with the newest releases of the libraries.

What it cannot see: positional arguments, values computed at run time (``fp16=profile.fp16`` is
checked for its name only; the values are what ``tests/test_gpu_configs.py`` checks), ``**dict``
arguments, calls on objects whose type is not inferred (attributes of attributes, containers).
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import enum
import functools
import importlib
import inspect
import json
import re
import sys
import textwrap
import typing
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIBRARIES = ("transformers", "peft", "trl", "bitsandbytes", "datasets", "sentence_transformers", "accelerate",
             "tokenizers")
COURSE_PACKAGE = "utils"

# Types of objects the course handles, by the classes their methods are looked up in (first has it wins).
KINDS = {
    "tokenizer": ("transformers.PreTrainedTokenizerBase",),
    "model": ("transformers.LlamaForCausalLM", "peft.PeftModelForCausalLM"),
    "trainer": ("trl.SFTTrainer",),
    "embedder": ("sentence_transformers.SentenceTransformer",),
    "dataset": ("datasets.Dataset",),
}
# Calls whose result has a known kind (beyond "a library class's constructor returns an instance of it").
FACTORIES = {
    "transformers.AutoTokenizer.from_pretrained": "tokenizer",
    "transformers.AutoModelForCausalLM.from_pretrained": "model",
    "transformers.LlamaForCausalLM.from_pretrained": "model",
    "peft.get_peft_model": "model",
    "peft.PeftModel.from_pretrained": "model",
    "peft.AutoPeftModelForCausalLM.from_pretrained": "model",
    "datasets.Dataset.from_list": "dataset",
    "datasets.Dataset.from_dict": "dataset",
    "datasets.Dataset.from_pandas": "dataset",
    "utils.models.load_tokenizer": "tokenizer",
    "utils.models.load_model": "model",
    "utils.models.load_embedder": "embedder",
    "utils.prompts.sentiment_dataset": "dataset",
    "utils.training.sft_config": "trl.SFTConfig",
    "utils.training.lora_config": "peft.LoraConfig",
}
# Conventional names: the kind of a name that is never assigned in its namespace (function parameters).
NAME_HINTS = {"tokenizer": "tokenizer", "tok": "tokenizer", "processing_class": "tokenizer", "model": "model",
              "trainer": "trainer", "embedder": "embedder"}
# Variables a chat template may read besides apply_chat_template's own parameters. Extend when a notebook
# legitimately passes another one; anything else is treated as a misspelt or removed parameter.
TEMPLATE_VARIABLES = {"bos_token", "eos_token", "unk_token", "pad_token", "sep_token", "cls_token", "mask_token",
                      "date_string", "enable_thinking", "system_message"}
# Still accepted, but deprecated where no machine-readable mark says so.
DEPRECATED = {
    "from_pretrained": {"torch_dtype": "deprecated in transformers 5: use dtype="},
}


# --------------------------------------------------------------------------------------------- sources
@dataclass
class Unit:
    """One namespace: a notebook (several cells) or a Python file."""

    path: str  # relative to the repository root
    chunks: list[tuple[int | None, ast.Module]]  # (1-based cell number or None, parsed code)
    module: str | None = None  # dotted module name for files inside the course package
    errors: list[str] = field(default_factory=list)


def strip_magics(source: str) -> str | None:
    """Cell source with IPython-only lines blanked (line numbers kept); None for a non-Python cell magic."""
    lines = source.splitlines()
    if lines and lines[0].lstrip().startswith("%%"):
        if lines[0].split()[0] not in ("%%time", "%%timeit", "%%capture"):
            return None
        lines[0] = ""
    out = []
    for line in lines:
        s = line.lstrip()
        indent = line[: len(line) - len(s)]
        if s.startswith(("%", "!")) or re.match(r"^[\w.]+\s*=\s*[!%]", s) or (s.endswith("?") and "#" not in s):
            out.append(indent + "pass" if s else "")
        else:
            out.append(line)
    return "\n".join(out)


def notebook_unit(path: Path, root: Path = ROOT) -> Unit:
    nb = json.loads(path.read_text(encoding="utf-8"))
    unit = Unit(_rel(path, root), [])
    for n, cell in enumerate(nb.get("cells", []), start=1):
        if cell.get("cell_type") != "code":
            continue
        src = cell.get("source", "")
        src = "".join(src) if isinstance(src, list) else src
        code = strip_magics(src)
        if code is None:
            continue
        try:
            unit.chunks.append((n, ast.parse(code)))
        except SyntaxError as e:
            unit.errors.append(f"{unit.path}, cell {n}, line {e.lineno}: cannot parse: {e.msg}")
    return unit


def file_unit(path: Path, root: Path = ROOT) -> Unit:
    rel = _rel(path, root)
    module = None
    parts = Path(rel).with_suffix("").parts
    if parts and parts[0] == COURSE_PACKAGE:
        module = ".".join(p for p in parts if p != "__init__")
    unit = Unit(rel, [], module)
    try:
        unit.chunks.append((None, ast.parse(path.read_text(encoding="utf-8"))))
    except SyntaxError as e:
        unit.errors.append(f"{rel}, line {e.lineno}: cannot parse: {e.msg}")
    return unit


def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


def default_units(root: Path = ROOT) -> list[Unit]:
    """Every notebook, every course-package module, every bench and training script: new files are picked up by themselves."""
    units = [notebook_unit(p, root) for p in sorted((root / "notebooks").glob("*.ipynb"))]
    for folder in (COURSE_PACKAGE, "bench", "scripts"):
        units += [file_unit(p, root) for p in sorted((root / folder).glob("*.py"))]
    return units


# --------------------------------------------------------------------------------------------- analysis
@dataclass
class Call:
    unit: str
    cell: int | None
    line: int
    callee: str  # as resolved: "trl.SFTConfig", "transformers.PreTrainedTokenizerBase.apply_chat_template"
    keywords: list[tuple[str, ast.expr]]
    via: str | None = None  # "utils.training.sft_config" when a course function forwarded the keywords

    @property
    def where(self) -> str:
        cell = f", cell {self.cell}" if self.cell is not None else ""
        return f"{self.unit}{cell}, line {self.line}"


@dataclass
class Finding:
    call: Call
    keyword: str | None
    message: str

    def __str__(self) -> str:
        via = f" (through {self.call.via})" if self.call.via else ""
        arg = f"argument {self.keyword!r} of " if self.keyword else ""
        return f"{self.call.where}: {arg}{self.call.callee}{via}: {self.message}"


@dataclass
class CourseFunction:
    params: set[str]
    varkw: str | None
    forwards_to: list[str] = field(default_factory=list)  # library callees receiving **varkw


def _is_library(path: str | None) -> bool:
    return path is not None and path.split(".")[0] in LIBRARIES


class Namespace:
    """Imports and inferred variable types of one unit (flow-insensitive: one map for the whole unit)."""

    def __init__(self, unit: Unit):
        self.unit = unit
        self.aliases: dict[str, str] = {}
        self.assigned: dict[str, set[str]] = {}  # name -> kinds/classes, "?" for unknown
        trees = [t for _, t in unit.chunks]
        for tree in trees:
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    for a in node.names:
                        if a.asname:
                            self.aliases[a.asname] = a.name
                        else:
                            self.aliases.setdefault(a.name.split(".")[0], a.name.split(".")[0])
                elif isinstance(node, ast.ImportFrom):
                    base = self._absolute(node)
                    for a in node.names:
                        if a.name != "*":
                            self.aliases[a.asname or a.name] = f"{base}.{a.name}" if base else a.name
        for _ in range(2):  # twice, so that x = f(); y = x.method() chains settle
            self.assigned = {}
            for tree in trees:
                for node in ast.walk(tree):
                    self._record_assignment(node)

    def _absolute(self, node: ast.ImportFrom) -> str:
        if not node.level:
            return node.module or ""
        if not self.unit.module:
            return node.module or ""
        pkg = self.unit.module.split(".")
        pkg = pkg[: len(pkg) - node.level] if len(pkg) > 1 else pkg
        return ".".join(pkg + ([node.module] if node.module else []))

    def _record_assignment(self, node: ast.AST) -> None:
        targets, value = [], None
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)) and node.value is not None:
            targets, value = [node.target], node.value
        elif isinstance(node, (ast.For, ast.comprehension, ast.AsyncFor)):
            targets = [node.target]
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            targets = [i.optional_vars for i in node.items if i.optional_vars is not None]
        elif isinstance(node, ast.NamedExpr):
            targets, value = [node.target], node.value
        for t in targets:
            if isinstance(t, ast.Name):
                kind = self.type_of_call(value) if isinstance(value, ast.Call) else None
                self.assigned.setdefault(t.id, set()).add(kind or "?")
            else:
                for n in ast.walk(t):
                    if isinstance(n, ast.Name):
                        self.assigned.setdefault(n.id, set()).add("?")

    def type_of_name(self, name: str) -> str | None:
        kinds = self.assigned.get(name)
        if kinds is None:
            return None if name in self.aliases else NAME_HINTS.get(name)
        return next(iter(kinds)) if len(kinds) == 1 and "?" not in kinds else None

    def resolve(self, expr: ast.expr) -> str | None:
        """Dotted path of a callee: 'trl.SFTConfig', 'transformers.PreTrainedTokenizerBase.apply_chat_template'."""
        if isinstance(expr, ast.Name):
            if expr.id in self.aliases:
                return self.aliases[expr.id]
            typ = self.type_of_name(expr.id)
            if typ:
                return f"<{typ}>"
            return None
        if isinstance(expr, ast.Attribute):
            base = self.resolve(expr.value)
            return f"{base}.{expr.attr}" if base else None
        return None

    def type_of_call(self, call: ast.Call) -> str | None:
        path = self.resolve(call.func)
        if not path:
            return None
        if path in FACTORIES:
            return FACTORIES[path]
        if path.startswith("<"):
            return None
        if _is_library(path):
            cls_path = path[: -len(".from_pretrained")] if path.endswith(".from_pretrained") else path
            obj = import_path(cls_path)
            if inspect.isclass(obj):
                return cls_path
        return None


def course_functions(units: list[Unit]) -> dict[str, CourseFunction]:
    """Signatures of the course package's module-level functions, and where their **kwargs go."""
    out = {}
    for unit in units:
        if not unit.module:
            continue
        ns = Namespace(unit)
        for _, tree in unit.chunks:
            for node in tree.body:
                if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    continue
                a = node.args
                params = {p.arg for p in a.posonlyargs + a.args + a.kwonlyargs}
                varkw = a.kwarg.arg if a.kwarg else None
                fn = CourseFunction(params, varkw)
                if varkw:
                    for call in ast.walk(node):
                        if isinstance(call, ast.Call) and any(
                                k.arg is None and isinstance(k.value, ast.Name) and k.value.id == varkw
                                for k in call.keywords):
                            target = _normalise(ns.resolve(call.func))
                            if target and (_is_library(target) or target.startswith(KIND_PREFIX)):
                                fn.forwards_to.append(target)
                out[f"{unit.module}.{node.name}"] = fn
    return out


KIND_PREFIX = "kind:"


def _normalise(path: str | None) -> str | None:
    """'<tokenizer>.apply_chat_template' → 'kind:tokenizer.apply_chat_template'; '<trl.SFTConfig>.x' → 'trl.SFTConfig.x'."""
    if not path or not path.startswith("<"):
        return path
    typ, _, rest = path[1:].partition(">")
    if rest.count(".") > 1:
        return None  # model.model.layers(...): attributes of attributes are not typed
    if typ in KINDS:
        return f"{KIND_PREFIX}{typ}{rest}"
    return typ + rest if rest else None  # calling an instance of a library class: not followed


def collect_calls(unit: Unit, course: dict[str, CourseFunction] | None = None) -> list[Call]:
    """Every call into the libraries (or into the course package) in ``unit``, with its literal keywords."""
    ns = Namespace(unit)
    calls = []
    for cell, tree in unit.chunks:
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            path = _normalise(ns.resolve(node.func))
            if not path:
                continue
            kws = [(k.arg, k.value) for k in node.keywords if k.arg is not None]
            head = path.split(".")[0]
            if head in LIBRARIES or path.startswith(KIND_PREFIX) or (
                    head == COURSE_PACKAGE and course is not None and path in course):
                calls.append(Call(unit.path, cell, node.lineno, path, kws))
    return calls


# --------------------------------------------------------------------------------------------- library side
@functools.cache
def import_path(path: str):
    """The object at a dotted path ('trl.SFTConfig', 'transformers.AutoTokenizer.from_pretrained'), or None.

    Attributes win over submodules of the same name (``sentence_transformers.SentenceTransformer`` is the
    class, not the deprecated module alias).
    """
    parts = path.split(".")
    try:
        obj = importlib.import_module(parts[0])
    except Exception:
        return None
    for i, part in enumerate(parts[1:], start=2):
        try:
            obj = getattr(obj, part)
            continue
        except AttributeError:
            pass
        except Exception:
            return None
        if not inspect.ismodule(obj):
            return None
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except Exception:
            return None
    return obj


@dataclass
class Spec:
    """What a callee accepts as keywords."""

    accepted: set[str]
    open: bool  # True: an unmatched **kwargs exists, so unknown names cannot be called wrong
    deprecated: dict[str, str] = field(default_factory=dict)
    values: dict[str, tuple[str, ...]] = field(default_factory=dict)  # literal-string choices per keyword
    missing: str | None = None  # the callee itself no longer exists


def _signature_names(func) -> tuple[set[str], inspect.Parameter | None]:
    try:
        sig = inspect.signature(func)
    except (TypeError, ValueError):
        return set(), inspect.Parameter("kwargs", inspect.Parameter.VAR_KEYWORD)
    named = {n for n, p in sig.parameters.items()
             if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and n not in ("self", "cls")}
    varkw = next((p for p in sig.parameters.values() if p.kind is p.VAR_KEYWORD), None)
    return named, varkw


def _unpacked(param: inspect.Parameter | None) -> set[str] | None:
    """Keys of a ``**kwargs: Unpack[SomeTypedDict]``, or None."""
    if param is None or param.annotation is inspect.Parameter.empty:
        return None
    ann = param.annotation
    if typing.get_origin(ann) is typing.Unpack:
        (td,) = typing.get_args(ann)
        try:
            return set(typing.get_type_hints(td))
        except Exception:
            return set(getattr(td, "__annotations__", {}))
    return None


@functools.cache
def popped_names(func) -> frozenset[str]:
    """Names a function reads out of its own ``**kwargs`` (``kwargs.pop("x")``, ``kwargs.get("x")``, …)."""
    func = inspect.unwrap(getattr(func, "__func__", func))
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(func)))
    except (OSError, TypeError, SyntaxError):
        return frozenset()
    fdef = tree.body[0]
    if not isinstance(fdef, (ast.FunctionDef, ast.AsyncFunctionDef)) or fdef.args.kwarg is None:
        return frozenset()
    kw = fdef.args.kwarg.arg
    names = set()
    for node in ast.walk(fdef):
        s = None
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("pop", "get")
                and isinstance(node.func.value, ast.Name) and node.func.value.id == kw and node.args):
            s = node.args[0]
        elif isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id == kw:
            s = node.slice
        elif (isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], (ast.In, ast.NotIn))
              and isinstance(node.comparators[0], ast.Name) and node.comparators[0].id == kw):
            s = node.left
        if isinstance(s, ast.Constant) and isinstance(s.value, str):
            names.add(s.value)
    return frozenset(names)


def _names_of(*funcs) -> set[str]:
    out = set()
    for f in funcs:
        if f is None:
            continue
        named, varkw = _signature_names(f)
        out |= named | set(popped_names(f)) | (_unpacked(varkw) or set())
    return out


def _dataclass_spec(cls) -> Spec:
    accepted, deprecated, values = set(), {}, {}
    try:
        hints = typing.get_type_hints(cls)
    except Exception:
        hints = {}
    for f in dataclasses.fields(cls):
        if not f.init:
            continue
        accepted.add(f.name)
        help_text = str(f.metadata.get("help", "")) if f.metadata else ""
        if re.search(r"\bdeprecated\b", help_text, re.I):
            deprecated[f.name] = help_text.strip()
        choices = f.metadata.get("choices") if f.metadata else None
        enums = [a for a in typing.get_args(hints.get(f.name)) or (hints.get(f.name),)
                 if inspect.isclass(a) and issubclass(a, enum.Enum)]
        if choices:
            values[f.name] = tuple(str(c) for c in choices)
        elif enums:
            values[f.name] = tuple(str(m.value) for e in enums for m in e)
    return Spec(accepted, False, deprecated, values)


def _model_from_pretrained_names() -> set[str]:
    from transformers import LlamaConfig, PretrainedConfig, PreTrainedModel
    from transformers.models.auto.auto_factory import _BaseAutoModelClass

    # a config's attributes and its settable properties (num_labels sets id2label) are from_pretrained keywords
    properties = {n for n, v in vars(PretrainedConfig).items() if isinstance(v, property) and v.fset is not None}
    config_attrs = set(vars(LlamaConfig())) | _names_of(LlamaConfig.__init__) | properties
    return _names_of(PreTrainedModel.from_pretrained, _BaseAutoModelClass.from_pretrained) | config_attrs


def _tokenizer_from_pretrained_names() -> set[str]:
    import transformers
    from transformers import AutoTokenizer, LlamaTokenizer, PreTrainedTokenizerBase

    backend = getattr(transformers, "TokenizersBackend", None) or import_path(
        "transformers.tokenization_utils_tokenizers.TokenizersBackend")
    special = set(getattr(PreTrainedTokenizerBase, "SPECIAL_TOKENS_ATTRIBUTES", ()))
    return (_names_of(AutoTokenizer.from_pretrained, PreTrainedTokenizerBase.from_pretrained,
                      getattr(PreTrainedTokenizerBase, "_from_pretrained", None), PreTrainedTokenizerBase.__init__,
                      LlamaTokenizer.__init__, getattr(backend, "__init__", None))
            | special | {f"{s}_id" for s in special})


def _generate_names() -> set[str]:
    from transformers import GenerationConfig, LlamaForCausalLM

    return (_names_of(LlamaForCausalLM.generate, LlamaForCausalLM.forward,
                      LlamaForCausalLM.prepare_inputs_for_generation, GenerationConfig.__init__)
            | set(vars(GenerationConfig())))


def _is_model_class(obj) -> bool:
    from transformers import PreTrainedModel
    from transformers.models.auto.auto_factory import _BaseAutoModelClass

    return inspect.isclass(obj) and issubclass(obj, (PreTrainedModel, _BaseAutoModelClass))


def _is_tokenizer_class(obj) -> bool:
    from transformers import AutoTokenizer, PreTrainedTokenizerBase

    return inspect.isclass(obj) and (obj is AutoTokenizer or issubclass(obj, PreTrainedTokenizerBase))


def _rule(owner, name: str, base: set[str]) -> set[str] | None:
    """Where ``**kwargs`` of a call the course makes are followed (None: not followed, stays open)."""
    top = (getattr(owner, "__module__", "") or "").split(".")[0]
    if top != "transformers":
        return None
    if name == "from_pretrained" and _is_model_class(owner):
        return _model_from_pretrained_names()
    if name == "from_pretrained" and _is_tokenizer_class(owner):
        return _tokenizer_from_pretrained_names()
    if name == "generate":
        return _generate_names()
    if name == "apply_chat_template":
        return base | TEMPLATE_VARIABLES
    if name in ("__call__", "encode", "__init__") and _is_tokenizer_class(owner):
        return base  # the rest is passed on to the backend and ignored: a misspelling would go unnoticed
    if name == "__init__" and owner.__name__ == "BitsAndBytesConfig":
        return base  # it only warns about unused keywords
    return None




@functools.cache
def spec_for(path: str) -> Spec:
    """What the callee at ``path`` accepts (a dotted library path, or 'kind:<kind>.<method>')."""
    if path.startswith(KIND_PREFIX):
        kind, _, method = path[len(KIND_PREFIX):].partition(".")
        classes = [import_path(c) for c in KINDS[kind]]
        if not method:
            method = "__call__"
        found = [(cls, _member(cls, method)) for cls in classes if cls is not None]
        for cls, what in found:
            if what == "method":
                return spec_for(f"{cls.__module__}.{cls.__qualname__}.{method}")
        if not found:
            return Spec(set(), True, missing=f"none of {', '.join(KINDS[kind])} can be imported")
        if any(what == "attribute" for _, what in found):
            return Spec(set(), True)  # model.model(...), embedder.tokenizer(...): a sub-object, not followed
        return Spec(set(), True, missing=f"no method {method!r} on a {kind} ({', '.join(KINDS[kind])})")
    obj = import_path(path)
    if obj is None:
        return Spec(set(), True, missing="no longer exists in the installed version")
    owner, name, meta = None, "__init__", Spec(set(), False)
    if inspect.isclass(obj):
        owner, func, sig_of = obj, obj.__init__, obj  # signature(cls) also reads compiled classes' text signatures
        if dataclasses.is_dataclass(obj):
            meta = _dataclass_spec(obj)
            named, varkw = _signature_names(obj)
            if varkw is None and named == meta.accepted:
                return meta  # the dataclass-generated __init__: fields are the whole truth
    else:
        parent = import_path(path.rsplit(".", 1)[0]) if "." in path else None
        name = path.rsplit(".", 1)[-1]
        owner = parent if inspect.isclass(parent) else None
        func = sig_of = obj
        if name == "__call__" and owner is not None and hasattr(owner, "forward") and not _is_tokenizer_class(owner):
            func = sig_of = owner.forward  # nn.Module.__call__ passes everything to forward
            name = "forward"
        elif not callable(obj):
            return Spec(set(), True, missing="is not callable")
    named, varkw = _signature_names(sig_of)
    if meta.deprecated or meta.values:
        result = spec_for_signature(named, varkw, func, owner, obj, name)
        return Spec(result.accepted, result.open, {**result.deprecated, **meta.deprecated},
                    {**meta.values, **result.values})
    return spec_for_signature(named, varkw, func, owner, obj, name)


def spec_for_signature(named, varkw, func, owner, obj, name) -> Spec:
    accepted = named | set(popped_names(func))
    unpacked = _unpacked(varkw)
    deprecated = dict(DEPRECATED.get(name, {}))
    if varkw is None:
        return Spec(accepted, False, deprecated)
    if unpacked is not None:
        return Spec(accepted | unpacked, False, deprecated)
    followed = _rule(owner or obj, name, accepted) if owner is not None or name == "generate" else None
    if followed is not None:
        return Spec(accepted | followed, False, deprecated)
    return Spec(accepted, True, deprecated)


def _member(cls, name: str) -> str | None:
    """'method', 'attribute' (a property, class attribute or ``self.name = …`` in an ``__init__``) or None."""
    try:
        member = inspect.getattr_static(cls, name)
    except AttributeError:
        member = None
    if member is not None:
        plain = member.__func__ if isinstance(member, (staticmethod, classmethod)) else member
        return "method" if inspect.isfunction(plain) or inspect.isroutine(plain) else "attribute"
    for klass in inspect.getmro(cls):
        init = klass.__dict__.get("__init__")
        if init is None or not inspect.isfunction(init):
            continue
        try:
            src = inspect.getsource(init)
        except (OSError, TypeError):
            continue
        if re.search(rf"\bself\.{re.escape(name)}\s*[:=]", src):
            return "attribute"
    return None


# --------------------------------------------------------------------------------------------- checking
@dataclass
class Report:
    failures: list[Finding] = field(default_factory=list)
    unverified: list[Finding] = field(default_factory=list)
    checked: int = 0  # keywords verified
    calls: int = 0


def check_call(call: Call, report: Report, course: dict[str, CourseFunction]) -> None:
    report.calls += 1
    if call.callee.startswith(f"{COURSE_PACKAGE}."):
        fn = course[call.callee]
        extra = [(k, v) for k, v in call.keywords if k not in fn.params]
        for k, _ in call.keywords:
            if k in fn.params:
                report.checked += 1
        if not extra:
            return
        if fn.varkw is None:
            for k, _ in extra:
                report.failures.append(Finding(call, k, f"{call.callee}() has no parameter {k!r}"))
            return
        if not fn.forwards_to:
            for k, _ in extra:
                report.unverified.append(Finding(call, k, "goes into **kwargs of a course function; not followed"))
            return
        for target in fn.forwards_to:
            check_call(Call(call.unit, call.cell, call.line, target, extra, via=call.callee), report, course)
        report.calls -= len(fn.forwards_to)
        return
    spec = spec_for(call.callee)
    if spec.missing:
        report.failures.append(Finding(call, None, spec.missing))
        return
    for k, value in call.keywords:
        if k in spec.deprecated:
            report.failures.append(Finding(call, k, f"deprecated: {spec.deprecated[k]}"))
        elif k in spec.accepted:
            report.checked += 1
            allowed = spec.values.get(k)
            if allowed and isinstance(value, ast.Constant) and isinstance(value.value, str) \
                    and value.value not in allowed:
                report.failures.append(Finding(call, k, f"value {value.value!r} is not one of {', '.join(allowed)}"))
        elif spec.open:
            report.unverified.append(Finding(call, k, "passed to **kwargs, which this check does not follow"))
        else:
            hint = _close(k, spec.accepted)
            report.failures.append(Finding(call, k, "not accepted by the installed version" + hint))


def _close(name: str, names: set[str]) -> str:
    import difflib

    near = difflib.get_close_matches(name, sorted(names), n=3, cutoff=0.6)
    return f" (did you mean {', '.join(near)}?)" if near else ""


def check(units: list[Unit] | None = None, root: Path = ROOT) -> tuple[Report, list[Call]]:
    """Collect and verify; returns the report and every call examined."""
    units = default_units(root) if units is None else units
    course_units = [u for u in units if u.module]
    if not course_units:  # snippets under test still call into the real course package
        course_units = [file_unit(p, root) for p in sorted((root / COURSE_PACKAGE).glob("*.py"))]
    course = course_functions(course_units)
    report, calls = Report(), []
    for unit in units:
        for err in unit.errors:
            report.failures.append(Finding(Call(unit.path, None, 0, "(parse)", []), None, err))
        for call in collect_calls(unit, course):
            calls.append(call)
            check_call(call, report, course)
    return report, calls


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--verbose", "-v", action="store_true", help="also list keywords that could not be verified")
    ap.add_argument("paths", nargs="*", help="notebooks or .py files (default: notebooks/, utils/, bench/)")
    args = ap.parse_args(argv)
    units = None
    if args.paths:
        units = [notebook_unit(Path(p)) if p.endswith(".ipynb") else file_unit(Path(p)) for p in args.paths]
    report, _ = check(units)
    versions = []
    for lib in LIBRARIES:
        try:
            from importlib import metadata

            versions.append(f"{lib} {metadata.version(lib.replace('_', '-'))}")
        except Exception:
            versions.append(f"{lib} (not installed)")
    print("API drift check against " + ", ".join(versions))
    print(f"{report.calls} calls, {report.checked} keyword arguments verified, "
          f"{len(report.unverified)} not verifiable, {len(report.failures)} problems")
    if args.verbose:
        for f in report.unverified:
            print(f"  unverified: {f}")
    for f in report.failures:
        print(f"DRIFT: {f}")
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
