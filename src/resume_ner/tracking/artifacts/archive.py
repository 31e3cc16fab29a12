"""Checkpoint archives: a streamed ``tar.gz`` of a checkpoint folder, with a checksummed manifest.

What goes in is decided by :func:`should_skip_file`, which matches whole names, suffixes and
globs (never substrings, so ``catalog.json`` and ``training.log`` are kept) and has no size
limit. Secrets are recognised by name, by the patterns of ``artifacts.secret_file_patterns`` in
``mlflow.yaml`` (:data:`~resume_ner.config.mlflow.DEFAULT_SECRET_FILE_PATTERNS` by default),
and by content: a file of at most :data:`CONTENT_SCAN_MAX_BYTES` holding a private-key block or
a token's shape (:func:`~resume_ner.naming.secrets.secret_kinds_in_content`) is a secret
whatever its name, and hard links to one file are all skipped when any of their names in the
folder is a secret's. Every skipped file is listed in the manifest with its reason. Archives
hold regular files only: a symlink that stays inside the folder is stored as the file it points
to unless that file is a secret, one that leaves the folder is skipped. Extraction refuses
absolute paths, ``..`` and links.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import stat
import tarfile
from dataclasses import asdict, dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, BinaryIO

from resume_ner.config.mlflow import DEFAULT_SECRET_FILE_PATTERNS
from resume_ner.naming.secrets import secret_kinds_in_content
from resume_ner.tracking.errors import TrackingError

logger = logging.getLogger(__name__)

CACHE_DIR_NAMES = ("__pycache__", ".cache", ".ipynb_checkpoints")
CACHE_FILE_PATTERNS = ("*.pyc", ".ds_store", "*.tmp")
OPTIMIZER_STATE_PATTERNS = ("optimizer.pt", "scheduler.pt", "rng_state*.pth")

_CHUNK_SIZE = 1024 * 1024
#: Files up to this size are read and judged by their content as well as their name: key and
#: token files are a few KiB, a checkpoint's configs too; weights and vocabularies are larger.
CONTENT_SCAN_MAX_BYTES = 64 * 1024
# gzip's own default: level 9 costs several times the time on model weights for a few percent.
GZIP_LEVEL = 6
MANIFEST_VERSION = 1


class ArchiveError(TrackingError):
    """A checkpoint archive could not be created, or an archive is unsafe or corrupt."""


@dataclass(frozen=True)
class ManifestFile:
    """One archived file: its path inside the archive (POSIX), size in bytes and SHA-256."""

    path: str
    size: int
    sha256: str


@dataclass(frozen=True)
class SkippedFile:
    """A file left out of the archive, and why."""

    path: str
    reason: str


@dataclass(frozen=True)
class ArchiveManifest:
    """What an archive holds: every file with size and checksum, and what was left out."""

    files: list[ManifestFile]
    skipped: list[SkippedFile] = field(default_factory=list)
    version: int = MANIFEST_VERSION

    @property
    def total_size(self) -> int:
        return sum(entry.size for entry in self.files)

    @property
    def file_count(self) -> int:
        return len(self.files)

    def to_dict(self) -> dict[str, Any]:
        """The manifest as a JSON-ready mapping (``manifest.json``)."""
        return {
            "version": self.version,
            "file_count": self.file_count,
            "total_size": self.total_size,
            "files": [asdict(entry) for entry in self.files],
            "skipped": [asdict(entry) for entry in self.skipped],
        }

    def to_json(self) -> str:
        """The manifest as indented JSON text."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ArchiveManifest:
        """Read a manifest written by :meth:`to_dict`; raises :class:`ArchiveError` if malformed."""
        try:
            return cls(
                files=[ManifestFile(**entry) for entry in data["files"]],
                skipped=[SkippedFile(**entry) for entry in data.get("skipped", [])],
                version=int(data.get("version", MANIFEST_VERSION)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ArchiveError(f"malformed checkpoint manifest: {exc}") from exc


def _matching_pattern(name: str, patterns: tuple[str, ...]) -> str | None:
    lowered = name.lower()
    for pattern in patterns:
        if fnmatchcase(lowered, pattern):
            return pattern
    return None


def secret_pattern(parts: tuple[str, ...], patterns: tuple[str, ...]) -> str | None:
    """The first of ``patterns`` that marks the path ``parts`` (folders, then the file name) as a
    secret, or ``None``.

    ``name`` globs match the file name, ``folder/name`` globs the end of the path and
    ``folder/`` any folder on the way; case is ignored.
    """
    lowered = [part.lower() for part in parts]
    for pattern in patterns:
        pattern = pattern.lower()
        if pattern.endswith("/"):
            if any(fnmatchcase(folder, pattern[:-1]) for folder in lowered[:-1]):
                return pattern
        elif "/" in pattern:
            depth = pattern.count("/") + 1
            if len(lowered) >= depth and fnmatchcase("/".join(lowered[-depth:]), pattern):
                return pattern
        elif lowered and fnmatchcase(lowered[-1], pattern):
            return pattern
    return None


def should_skip_file(
    path: Path,
    root: Path,
    *,
    skip_optimizer_state: bool = False,
    secret_patterns: tuple[str, ...] = DEFAULT_SECRET_FILE_PATTERNS,
) -> str | None:
    """Why ``path`` (a file under ``root``) stays out of a checkpoint archive, or ``None``.

    Skipped: paths with a ``..`` component or outside ``root``, symlinks (of the file or of a
    folder on its way) whose target leaves ``root``, anything that is not a regular file,
    secrets (a path or, for a symlink, its target matching :func:`secret_pattern` with
    ``secret_patterns``), caches (``__pycache__/``, ``*.pyc``, ``.cache/``, ...) and, with
    ``skip_optimizer_state``, optimizer, scheduler and RNG state; and a file of at most
    :data:`CONTENT_SCAN_MAX_BYTES` whose content holds a private-key block or a token's shape.
    Names are matched whole or by glob, case-insensitively, never by substring; size matters
    only to whether the content is read.
    """
    try:
        relative = path.relative_to(root)
    except ValueError:
        return f"outside the checkpoint folder {root}"
    if ".." in relative.parts:
        return "path has a '..' component"
    resolved_root = root.resolve()
    resolved = path.resolve()
    if not resolved.is_relative_to(resolved_root):
        return f"symlink target {resolved} leaves the checkpoint folder"
    if not resolved.is_file():
        return "not a regular file"
    for folder in relative.parts[:-1]:
        if folder.lower() in CACHE_DIR_NAMES:
            return f"inside cache folder {folder}/"
    pattern = secret_pattern(relative.parts, secret_patterns)
    if pattern:
        return f"secret (matches {pattern})"
    pattern = secret_pattern(resolved.relative_to(resolved_root).parts, secret_patterns)
    if pattern:
        return f"symlink to a secret (its target matches {pattern})"
    name = relative.name
    pattern = _matching_pattern(name, CACHE_FILE_PATTERNS)
    if pattern:
        return f"cache file (matches {pattern})"
    if skip_optimizer_state:
        pattern = _matching_pattern(name, OPTIMIZER_STATE_PATTERNS)
        if pattern:
            return f"optimizer state (matches {pattern})"
    return _secret_content(resolved)


def _secret_content(path: Path) -> str | None:
    """Why ``path`` is a secret by its content (small files only), or ``None``."""
    if path.stat().st_size > CONTENT_SCAN_MAX_BYTES:
        return None
    kinds = secret_kinds_in_content(path.read_bytes())
    return f"secret (its content holds a {', '.join(kinds)})" if kinds else None


def _raise_walk_error(error: OSError) -> None:
    # os.walk ignores unreadable folders by default; their files would vanish from the archive.
    raise error


def _collect(
    checkpoint_dir: Path,
    output_path: Path,
    skip_optimizer_state: bool,
    secret_patterns: tuple[str, ...],
) -> tuple[list[Path], list[SkippedFile]]:
    """Files to archive (sorted) and files skipped, walking without following folder links."""
    kept: list[Path] = []
    skipped: list[SkippedFile] = []
    output = output_path.resolve()
    for current, dirnames, filenames in os.walk(
        checkpoint_dir, onerror=_raise_walk_error, followlinks=False
    ):
        folder = Path(current)
        dirnames.sort()
        for dirname in list(dirnames):
            candidate = folder / dirname
            if candidate.is_symlink():
                # Not followed: a folder link inside the checkpoint is archived under its real
                # path, and following links could loop.
                dirnames.remove(dirname)
                target = candidate.resolve()
                if target.is_relative_to(checkpoint_dir.resolve()):
                    reason = "symlinked folder (its target is archived under its own path)"
                else:
                    reason = f"symlink target {target} leaves the checkpoint folder"
                skipped.append(
                    SkippedFile(candidate.relative_to(checkpoint_dir).as_posix(), reason)
                )
        for filename in sorted(filenames):
            candidate = folder / filename
            if candidate.resolve() == output:
                continue
            reason = should_skip_file(
                candidate,
                checkpoint_dir,
                skip_optimizer_state=skip_optimizer_state,
                secret_patterns=secret_patterns,
            )
            if reason is None:
                kept.append(candidate)
            else:
                skipped.append(
                    SkippedFile(candidate.relative_to(checkpoint_dir).as_posix(), reason)
                )
    return _without_hard_links_to_secrets(checkpoint_dir, kept, skipped)


def _without_hard_links_to_secrets(
    checkpoint_dir: Path, kept: list[Path], skipped: list[SkippedFile]
) -> tuple[list[Path], list[SkippedFile]]:
    """``kept`` less the files that are hard links to a file skipped as a secret (one file
    under several names: the harmless name must not carry the key out)."""
    secrets: dict[tuple[int, int], str] = {}
    for entry in skipped:
        path = checkpoint_dir / entry.path
        if entry.reason.startswith(("secret", "symlink to a secret")) and path.is_file():
            info = path.resolve().stat()
            if info.st_nlink > 1:
                secrets.setdefault((info.st_dev, info.st_ino), entry.path)
    if not secrets:
        return kept, skipped
    still_kept = []
    for path in kept:
        info = path.resolve().stat()
        other = secrets.get((info.st_dev, info.st_ino))
        if other is None:
            still_kept.append(path)
        else:
            relative = path.relative_to(checkpoint_dir).as_posix()
            skipped.append(SkippedFile(relative, f"hard link to the secret {other}"))
    return still_kept, skipped


class _HashingReader:
    """A read-only file wrapper that hashes what passes through it."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        self.digest.update(data)
        return data


def _add_file(tar: tarfile.TarFile, source: Path, arcname: str) -> ManifestFile:
    with source.open("rb") as handle:
        info = os.fstat(handle.fileno())
        member = tarfile.TarInfo(arcname)
        member.size = info.st_size
        member.mtime = int(info.st_mtime)
        member.mode = stat.S_IMODE(info.st_mode)
        member.type = tarfile.REGTYPE
        reader = _HashingReader(handle)
        tar.addfile(member, reader)  # type: ignore[arg-type]
    return ManifestFile(arcname, info.st_size, reader.digest.hexdigest())


def create_checkpoint_archive(
    checkpoint_dir: Path,
    output_path: Path,
    *,
    skip_optimizer_state: bool = False,
    secret_patterns: tuple[str, ...] = DEFAULT_SECRET_FILE_PATTERNS,
) -> ArchiveManifest:
    """Write the files of ``checkpoint_dir`` to the ``tar.gz`` ``output_path``; return its manifest.

    Entries are relative to ``checkpoint_dir``. Files are streamed into the archive one at a
    time and hashed on the way (one read per file, nothing held in memory); the files kept and
    skipped follow :func:`should_skip_file` (with ``secret_patterns``). Raises :class:`ArchiveError` when the folder is
    missing, holds nothing to archive, or a file cannot be read; a partly written archive is
    removed.
    """
    checkpoint_dir = Path(checkpoint_dir)
    output_path = Path(output_path)
    if not checkpoint_dir.is_dir():
        raise ArchiveError(f"checkpoint folder {checkpoint_dir} does not exist")
    try:
        kept, skipped = _collect(checkpoint_dir, output_path, skip_optimizer_state, secret_patterns)
    except OSError as exc:
        raise ArchiveError(f"cannot read checkpoint folder {checkpoint_dir}: {exc}") from exc
    for entry in skipped:
        logger.info("not archiving %s: %s", entry.path, entry.reason)
    if not kept:
        detail = f" ({len(skipped)} skipped: see the log)" if skipped else ""
        raise ArchiveError(f"checkpoint folder {checkpoint_dir} holds no file to archive{detail}")
    output_path.parent.mkdir(parents=True, exist_ok=True)
    files: list[ManifestFile] = []
    try:
        with tarfile.open(output_path, "w:gz", compresslevel=GZIP_LEVEL) as tar:
            for source in kept:
                files.append(_add_file(tar, source, source.relative_to(checkpoint_dir).as_posix()))
    except (OSError, tarfile.TarError) as exc:
        output_path.unlink(missing_ok=True)
        raise ArchiveError(f"cannot archive {checkpoint_dir} into {output_path}: {exc}") from exc
    return ArchiveManifest(files=files, skipped=skipped)


def _check_member(member: tarfile.TarInfo) -> None:
    if member.issym() or member.islnk():
        raise ArchiveError(f"archive member {member.name!r} is a link; refusing to extract")
    if not (member.isfile() or member.isdir()):
        raise ArchiveError(f"archive member {member.name!r} is not a file or folder")
    name = member.name.replace("\\", "/")
    if name.startswith("/") or Path(name).is_absolute():
        raise ArchiveError(f"archive member {member.name!r} has an absolute path")
    if ".." in name.split("/"):
        raise ArchiveError(f"archive member {member.name!r} has a '..' component")


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK_SIZE):
            digest.update(chunk)
    return digest.hexdigest()


def extract_checkpoint_archive(
    archive: Path, target: Path, *, manifest: ArchiveManifest | None = None
) -> list[Path]:
    """Extract ``archive`` into ``target`` and return the extracted files.

    Every member is checked first: absolute paths, ``..`` components, links and special files
    are refused with :class:`ArchiveError` before anything is written; tarfile's ``"data"``
    filter guards the extraction itself. With ``manifest``, each listed file's SHA-256 is
    checked after extraction (a mismatch or missing file raises :class:`ArchiveError`).
    """
    target = Path(target)
    try:
        with tarfile.open(archive, "r:*") as tar:
            members = tar.getmembers()
            for member in members:
                _check_member(member)
            target.mkdir(parents=True, exist_ok=True)
            tar.extractall(target, filter="data")
    except (OSError, tarfile.TarError) as exc:
        raise ArchiveError(f"cannot extract {archive}: {exc}") from exc
    extracted = [target / member.name for member in members if member.isfile()]
    if manifest is not None:
        for entry in manifest.files:
            path = target / entry.path
            if not path.is_file():
                raise ArchiveError(f"{entry.path} is in the manifest but not in {archive}")
            if _sha256_file(path) != entry.sha256:
                raise ArchiveError(f"{entry.path} does not match its manifest checksum")
    return extracted
