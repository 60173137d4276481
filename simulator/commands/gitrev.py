"""A project's sources at a git revision, extracted into a temporary directory (for `alertkit diff --base REF`).

Only the paths a compile and a simulation read are extracted (`git archive REF:<project dir> -- paths`), so the
revision's other files cost nothing; the temporary directory is removed when the context ends. Every failure
is an InputError saying what to do: not a git repository, an unknown revision, git missing.
"""

from __future__ import annotations

import contextlib
import io
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from common.errors import InputError

# What a project revision consists of (compiler.memory_build's layout, routing.yaml, the scenarios).
PROJECT_PATHS = ("alertkit.yaml", "routing.yaml", "alerts", "runbooks", "scenarios")
# git is local; a stuck one (a lock, a huge repository on a slow disk) must not hang a CI job forever.
GIT_TIMEOUT_S = 120


@dataclass(frozen=True)
class RevisionTree:
    """A revision's project files on disk: `root` has the project layout."""

    ref: str
    commit: str  # the full commit id REF names
    root: Path

    @property
    def label(self) -> str:
        return f"{self.ref} ({self.commit[:10]})"


def _git(cwd: Path, *args: str, binary: bool = False) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=not binary, timeout=GIT_TIMEOUT_S, check=False
        )
    except FileNotFoundError:
        raise InputError("git: not found on PATH (alertkit diff reads the base revision with git)") from None
    except subprocess.TimeoutExpired:
        raise InputError(f"git {' '.join(args)}: no answer within {GIT_TIMEOUT_S}s") from None


def _stderr(result: subprocess.CompletedProcess) -> str:
    text = result.stderr.decode("utf-8", "replace") if isinstance(result.stderr, bytes) else result.stderr
    return text.strip().splitlines()[-1] if text.strip() else f"exit status {result.returncode}"


def project_prefix(project: Path) -> tuple[Path, str]:
    """The repository's top level and the project directory's path inside it ("" at the top)."""
    result = _git(project, "rev-parse", "--show-toplevel", "--show-prefix")
    if result.returncode != 0:
        raise InputError(
            f"{project.resolve()}: not a git repository ({_stderr(result)}); alertkit diff compares the working "
            "tree with a git revision: run it inside the repository"
        )
    top, prefix = (result.stdout.splitlines() + ["", ""])[:2]
    return Path(top), prefix.strip()


def resolve_commit(project: Path, ref: str) -> str:
    """The commit id REF names, or an InputError."""
    if ref.startswith("-"):
        raise InputError(f"--base {ref}: not a revision (it starts with '-')")
    result = _git(project, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
    if result.returncode != 0 or not result.stdout.strip():
        raise InputError(
            f"--base {ref}: unknown revision in {project.resolve()} (try a branch, tag or commit: "
            "`git log --oneline` lists commits; in CI, fetch the base branch first)"
        )
    return result.stdout.strip()


# git status --porcelain codes of a path with an unresolved merge conflict (git-status(1), "Short Format").
UNMERGED_CODES = frozenset({"DD", "AU", "UD", "UA", "DU", "AA", "UU"})


def uncommitted_paths(project: Path) -> list[str]:
    """Project paths whose working-tree content differs from HEAD (or is untracked), as the report lists them.

    A path with an unresolved merge conflict is an InputError: its text is both sides at once."""
    _top, prefix = project_prefix(project)
    result = _git(project, "status", "--porcelain", "--untracked-files=all", "--", *PROJECT_PATHS)
    if result.returncode != 0:
        raise InputError(f"git status: {_stderr(result)}")
    paths, unmerged = set(), []
    for line in result.stdout.splitlines():
        path = line[3:].split(" -> ")[-1].strip('"')
        path = path[len(prefix) :] if prefix and path.startswith(prefix) else path
        paths.add(path)
        if line[:2] in UNMERGED_CODES:
            unmerged.append(path)
    if unmerged:
        raise InputError(
            f"working tree: {', '.join(sorted(unmerged))}: unresolved merge conflict; resolve it (and `git add` the "
            "file) before comparing"
        )
    return sorted(paths)


@contextlib.contextmanager
def revision_tree(project: Path, ref: str) -> Iterator[RevisionTree]:
    """The project's files at `ref`, in a temporary directory removed afterwards."""
    _top, prefix = project_prefix(project)
    commit = resolve_commit(project, ref)
    tree = f"{commit}:{prefix}" if prefix else commit
    listed = _git(project, "ls-tree", "--name-only", tree)
    if listed.returncode != 0:
        raise InputError(f"--base {ref}: the project directory {prefix or '.'} does not exist at {commit[:10]}")
    present = [path for path in PROJECT_PATHS if path in listed.stdout.splitlines()]
    temporary = Path(tempfile.mkdtemp(prefix="alertkit-diff-"))
    try:
        if present:
            archive = _git(project, "archive", "--format=tar", tree, "--", *present, binary=True)
            if archive.returncode != 0:
                raise InputError(f"--base {ref}: git archive failed: {_stderr(archive)}")
            with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
                tar.extractall(temporary, filter="data")  # no links out, no absolute paths, no devices
        yield RevisionTree(ref, commit, temporary)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
