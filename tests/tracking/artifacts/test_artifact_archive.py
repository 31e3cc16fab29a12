"""Checkpoint archives: what is kept and skipped, round trips, and safe extraction."""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
from pathlib import Path

import pytest

from resume_ner.tracking.artifacts.archive import (
    ArchiveError,
    ArchiveManifest,
    create_checkpoint_archive,
    extract_checkpoint_archive,
    should_skip_file,
)


def _write(path: Path, content: bytes | str = b"data") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        content = content.encode()
    path.write_bytes(content)
    return path


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def checkpoint(tmp_path: Path) -> Path:
    """A checkpoint folder with model files, legitimate look-alikes, secrets and caches."""
    root = tmp_path / "checkpoint"
    _write(root / "config.json", '{"model_type": "bert"}')
    _write(root / "model.safetensors", os.urandom(256 * 1024))
    _write(root / "catalog.json", '{"entities": ["SKILL"]}')
    _write(root / "training.log", "epoch 1 done\n")
    _write(root / "tokenizer" / "vocab.txt", "[PAD]\n[UNK]\n")
    _write(root / "optimizer.pt", b"optimizer")
    _write(root / "scheduler.pt", b"scheduler")
    _write(root / "rng_state_0.pth", b"rng")
    _write(root / ".env", "TOKEN=abc")
    _write(root / ".env.local", "TOKEN=abc")
    _write(root / "server.pem", "-----BEGIN-----")
    _write(root / "deploy.key", "secret")
    _write(root / "id_rsa.pub", "ssh-rsa")
    _write(root / "credentials-prod.json", "{}")
    _write(root / "__pycache__" / "module.cpython-311.pyc", b"\x00")
    _write(root / "stray.pyc", b"\x00")
    _write(root / ".cache" / "blob", b"cached")
    _write(root / ".ipynb_checkpoints" / "nb.ipynb", "{}")
    _write(root / ".DS_Store", b"\x00")
    _write(root / "partial.tmp", b"half")
    return root


def _skipped(manifest: ArchiveManifest) -> dict[str, str]:
    return {entry.path: entry.reason for entry in manifest.skipped}


def _archived(manifest: ArchiveManifest) -> set[str]:
    return {entry.path for entry in manifest.files}


def test_symlink_leaving_the_folder_is_skipped_with_its_reason(tmp_path, checkpoint):
    outside = _write(tmp_path / "elsewhere" / "passwords.txt", "hunter2")
    (checkpoint / "linked.txt").symlink_to(outside)

    manifest = create_checkpoint_archive(checkpoint, tmp_path / "out.tar.gz")

    assert "linked.txt" not in _archived(manifest)
    assert "leaves the checkpoint folder" in _skipped(manifest)["linked.txt"]


def test_symlinked_folder_leaving_the_folder_is_skipped_with_its_reason(tmp_path, checkpoint):
    _write(tmp_path / "elsewhere" / "private.txt", "secret")
    (checkpoint / "linked_dir").symlink_to(tmp_path / "elsewhere", target_is_directory=True)

    manifest = create_checkpoint_archive(checkpoint, tmp_path / "out.tar.gz")

    assert not any(path.startswith("linked_dir") for path in _archived(manifest))
    assert "leaves the checkpoint folder" in _skipped(manifest)["linked_dir"]


def test_symlink_inside_the_folder_is_archived_as_the_file_it_points_to(tmp_path, checkpoint):
    (checkpoint / "alias.json").symlink_to(checkpoint / "config.json")

    manifest = create_checkpoint_archive(checkpoint, tmp_path / "out.tar.gz")

    with tarfile.open(tmp_path / "out.tar.gz") as tar:
        member = tar.getmember("alias.json")
        assert member.isfile()
        assert tar.extractfile(member).read() == (checkpoint / "config.json").read_bytes()
    assert "alias.json" in _archived(manifest)


def test_path_with_a_dot_dot_component_is_skipped(tmp_path, checkpoint):
    _write(tmp_path / "evil.txt")

    reason = should_skip_file(checkpoint / ".." / "evil.txt", checkpoint)

    assert reason == "path has a '..' component"


def test_path_outside_the_folder_is_skipped(tmp_path, checkpoint):
    reason = should_skip_file(_write(tmp_path / "other.txt"), checkpoint)

    assert reason is not None and "outside" in reason


@pytest.mark.parametrize(
    "name",
    [".env", ".env.local", "server.pem", "deploy.key", "id_rsa.pub", "credentials-prod.json"],
)
def test_secret_files_are_skipped_with_a_secret_reason(tmp_path, checkpoint, name):
    manifest = create_checkpoint_archive(checkpoint, tmp_path / "out.tar.gz")

    assert name not in _archived(manifest)
    assert _skipped(manifest)[name].startswith("secret")


def test_secret_patterns_match_regardless_of_case(checkpoint):
    reason = should_skip_file(_write(checkpoint / "SERVER.PEM"), checkpoint)

    assert reason is not None and reason.startswith("secret")


@pytest.mark.parametrize(
    "name",
    [
        "__pycache__/module.cpython-311.pyc",
        "stray.pyc",
        ".cache/blob",
        ".ipynb_checkpoints/nb.ipynb",
        ".DS_Store",
        "partial.tmp",
    ],
)
def test_cache_files_are_skipped_with_a_cache_reason(tmp_path, checkpoint, name):
    manifest = create_checkpoint_archive(checkpoint, tmp_path / "out.tar.gz")

    assert name not in _archived(manifest)
    assert "cache" in _skipped(manifest)[name]


def test_optimizer_state_is_skipped_only_when_asked(tmp_path, checkpoint):
    state = {"optimizer.pt", "scheduler.pt", "rng_state_0.pth"}

    kept = create_checkpoint_archive(checkpoint, tmp_path / "all.tar.gz")
    lean = create_checkpoint_archive(
        checkpoint, tmp_path / "lean.tar.gz", skip_optimizer_state=True
    )

    assert state <= _archived(kept)
    assert not state & _archived(lean)
    assert all(_skipped(lean)[name].startswith("optimizer state") for name in state)


@pytest.mark.parametrize(
    "name", ["catalog.json", "training.log", "model.safetensors", "tokenizer/vocab.txt"]
)
def test_legitimate_files_whose_names_contain_skip_words_are_kept(tmp_path, checkpoint, name):
    manifest = create_checkpoint_archive(checkpoint, tmp_path / "out.tar.gz")

    assert name in _archived(manifest)
    assert name not in _skipped(manifest)


def test_large_safetensors_file_is_archived_whatever_its_size(tmp_path, checkpoint):
    big = checkpoint / "large.safetensors"
    with big.open("wb") as handle:
        handle.truncate(120 * 1024 * 1024)  # sparse: 120 MB on paper, no disk cost

    manifest = create_checkpoint_archive(checkpoint, tmp_path / "out.tar.gz")

    entry = next(e for e in manifest.files if e.path == "large.safetensors")
    assert entry.size == 120 * 1024 * 1024
    assert "large.safetensors" not in _skipped(manifest)


def test_archive_round_trips_every_file_with_identical_checksums(tmp_path, checkpoint):
    archive = tmp_path / "out.tar.gz"
    manifest = create_checkpoint_archive(checkpoint, archive)
    target = tmp_path / "restored"

    extract_checkpoint_archive(archive, target, manifest=manifest)

    restored = {
        p.relative_to(target).as_posix(): _sha256(p) for p in target.rglob("*") if p.is_file()
    }
    assert restored == {entry.path: entry.sha256 for entry in manifest.files}
    assert restored == {path: _sha256(checkpoint / path) for path in restored}


def test_manifest_totals_match_its_files_and_survive_json(tmp_path, checkpoint):
    manifest = create_checkpoint_archive(checkpoint, tmp_path / "out.tar.gz")

    data = json.loads(manifest.to_json())

    assert data["file_count"] == len(data["files"]) == manifest.file_count
    assert data["total_size"] == sum(f["size"] for f in data["files"]) == manifest.total_size
    assert ArchiveManifest.from_dict(data) == manifest


def test_archive_entries_are_relative_to_the_checkpoint_folder(tmp_path, checkpoint):
    archive = tmp_path / "out.tar.gz"
    create_checkpoint_archive(checkpoint, archive)

    with tarfile.open(archive) as tar:
        names = tar.getnames()

    assert "config.json" in names and "tokenizer/vocab.txt" in names
    assert not any(name.startswith(("/", "checkpoint/")) for name in names)


def test_missing_checkpoint_folder_raises_archive_error(tmp_path):
    with pytest.raises(ArchiveError, match="does not exist"):
        create_checkpoint_archive(tmp_path / "missing", tmp_path / "out.tar.gz")


def test_folder_with_only_skipped_files_raises_archive_error(tmp_path):
    root = tmp_path / "checkpoint"
    _write(root / ".env", "TOKEN=abc")
    _write(root / "__pycache__" / "x.pyc", b"\x00")

    with pytest.raises(ArchiveError, match="no file to archive"):
        create_checkpoint_archive(root, tmp_path / "out.tar.gz")
    assert not (tmp_path / "out.tar.gz").exists()


def _crafted_archive(path: Path, member: tarfile.TarInfo, payload: bytes = b"") -> Path:
    with tarfile.open(path, "w:gz") as tar:
        ok = tarfile.TarInfo("config.json")
        ok.size = 2
        tar.addfile(ok, io.BytesIO(b"{}"))
        tar.addfile(member, io.BytesIO(payload) if payload else None)
    return path


def test_extraction_refuses_a_member_escaping_with_dot_dot(tmp_path):
    evil = tarfile.TarInfo("../evil")
    evil.size = 4
    archive = _crafted_archive(tmp_path / "crafted.tar.gz", evil, b"evil")
    target = tmp_path / "target"

    with pytest.raises(ArchiveError, match=r"'\.\.'"):
        extract_checkpoint_archive(archive, target)
    assert not (tmp_path / "evil").exists()
    assert not (target / "config.json").exists()


def test_extraction_refuses_an_absolute_member_path(tmp_path):
    evil = tarfile.TarInfo(str(tmp_path / "absolute_evil"))
    evil.size = 4
    archive = _crafted_archive(tmp_path / "crafted.tar.gz", evil, b"evil")

    with pytest.raises(ArchiveError, match="absolute"):
        extract_checkpoint_archive(archive, tmp_path / "target")
    assert not (tmp_path / "absolute_evil").exists()


def test_extraction_refuses_a_symlink_member(tmp_path):
    link = tarfile.TarInfo("passwd")
    link.type = tarfile.SYMTYPE
    link.linkname = "/etc/passwd"
    archive = _crafted_archive(tmp_path / "crafted.tar.gz", link)

    with pytest.raises(ArchiveError, match="link"):
        extract_checkpoint_archive(archive, tmp_path / "target")
    assert not (tmp_path / "target" / "passwd").is_symlink()


def test_extraction_detects_a_file_that_does_not_match_the_manifest(tmp_path, checkpoint):
    archive = tmp_path / "out.tar.gz"
    create_checkpoint_archive(checkpoint, archive)
    other_dir = _write(tmp_path / "other" / "config.json", "{}").parent
    other_manifest = create_checkpoint_archive(other_dir, tmp_path / "other.tar.gz")

    with pytest.raises(ArchiveError, match="checksum"):
        extract_checkpoint_archive(archive, tmp_path / "target", manifest=other_manifest)


def test_special_file_is_skipped_as_not_a_regular_file(tmp_path, checkpoint):
    os.mkfifo(checkpoint / "pipe")

    manifest = create_checkpoint_archive(checkpoint, tmp_path / "out.tar.gz")

    assert _skipped(manifest)["pipe"] == "not a regular file"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads folders whatever their permissions")
def test_unreadable_subfolder_raises_instead_of_vanishing_from_the_archive(tmp_path, checkpoint):
    locked = checkpoint / "tokenizer"
    locked.chmod(0)
    try:
        with pytest.raises(ArchiveError, match="cannot read"):
            create_checkpoint_archive(checkpoint, tmp_path / "out.tar.gz")
    finally:
        locked.chmod(0o755)


def _tar_bytes(archive: Path) -> bytes:
    """Everything the archive's members hold, concatenated."""
    with tarfile.open(archive) as tar:
        return b"".join(
            tar.extractfile(member).read() for member in tar.getmembers() if member.isfile()
        )


def test_inside_symlink_to_a_secret_is_judged_by_its_target(tmp_path, checkpoint):
    _write(checkpoint / ".env", "ENV-SECRET-CONTENT")
    (checkpoint / "settings.txt").symlink_to(checkpoint / ".env")
    _write(tmp_path / "id_rsa", "SSH-KEY-SECRET-CONTENT")
    (checkpoint / "notes.txt").symlink_to(Path("..") / "id_rsa")
    archive = tmp_path / "out.tar.gz"

    manifest = create_checkpoint_archive(checkpoint, archive)

    content = _tar_bytes(archive)
    assert b"ENV-SECRET-CONTENT" not in content
    assert b"SSH-KEY-SECRET-CONTENT" not in content
    assert "symlink to a secret" in _skipped(manifest)["settings.txt"]
    assert "leaves the checkpoint folder" in _skipped(manifest)["notes.txt"]


NEW_SECRET_PATHS = [
    "id_ed25519",
    "id_ecdsa",
    "id_dsa",
    "id_rsa",
    "putty.ppk",
    ".ssh/known_hosts",
    ".pgpass",
    ".netrc",
    ".git-credentials",
    "tls.pem",
    "tls.key",
    "client.p12",
    ".aws/credentials",
    "service-account.json",
    "service-account-prod.json",
    "gcloud/application_default_credentials.json",
    ".azure/accessTokens.json",
    "secrets.yaml",
    "secrets.json",
    ".env.production",
]


@pytest.mark.parametrize("relative", NEW_SECRET_PATHS)
def test_secret_file_and_a_symlink_to_it_stay_out_of_the_archive(tmp_path, relative):
    root = _write(tmp_path / "checkpoint" / "config.json", "{}").parent
    marker = f"SECRET-OF-{relative}"
    _write(root / relative, marker)
    (root / "innocent.txt").symlink_to(root / relative)
    archive = tmp_path / "out.tar.gz"

    manifest = create_checkpoint_archive(root, archive)

    assert marker.encode() not in _tar_bytes(archive)
    assert _archived(manifest) == {"config.json"}


def test_secret_patterns_come_from_the_configuration(tmp_path):
    root = _write(tmp_path / "checkpoint" / "config.json", "{}").parent
    _write(root / "vault.bin", "VAULT")
    _write(root / "server.pem", "not a secret here")

    manifest = create_checkpoint_archive(
        root, tmp_path / "out.tar.gz", secret_patterns=("vault.*",)
    )

    assert _archived(manifest) == {"config.json", "server.pem"}
    assert _skipped(manifest)["vault.bin"] == "secret (matches vault.*)"


def test_mlflow_yaml_can_replace_the_secret_patterns(tmp_path):
    from resume_ner.config.mlflow import DEFAULT_SECRET_FILE_PATTERNS, load_mlflow_config

    assert load_mlflow_config().artifacts.secret_file_patterns == DEFAULT_SECRET_FILE_PATTERNS
    (tmp_path / "mlflow.yaml").write_text("artifacts:\n  secret_file_patterns: ['Vault.*']\n")

    assert load_mlflow_config(tmp_path).artifacts.secret_file_patterns == ("vault.*",)


# Built from parts so that no scanner mistakes this file for a leak.
KEY_BLOCK = "-----BEGIN OPENSSH " + "PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAAKEYBODY\n"
HF_TOKEN = "hf_" + "Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv1W"


def test_a_hard_link_to_a_secret_under_an_innocent_name_stays_out(tmp_path):
    root = _write(tmp_path / "checkpoint" / "config.json", "{}").parent
    _write(root / "deploy" / "id_rsa", "SSH-KEY-UNDER-TWO-NAMES")
    os.link(root / "deploy" / "id_rsa", root / "weights-notes.txt")
    archive = tmp_path / "out.tar.gz"

    manifest = create_checkpoint_archive(root, archive)

    assert b"SSH-KEY-UNDER-TWO-NAMES" not in _tar_bytes(archive)
    assert _skipped(manifest)["weights-notes.txt"] == "hard link to the secret deploy/id_rsa"
    assert _archived(manifest) == {"config.json"}


def test_a_hard_link_to_a_key_outside_the_folder_is_judged_by_its_content(tmp_path):
    root = _write(tmp_path / "checkpoint" / "config.json", "{}").parent
    _write(tmp_path / "home" / ".ssh" / "id_ed25519", KEY_BLOCK)
    os.link(tmp_path / "home" / ".ssh" / "id_ed25519", root / "README")
    archive = tmp_path / "out.tar.gz"

    manifest = create_checkpoint_archive(root, archive)

    assert b"KEYBODY" not in _tar_bytes(archive)
    assert _skipped(manifest)["README"] == "secret (its content holds a private key)"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("notes.txt", f"hub login used {HF_TOKEN}\n"),
        ("run.sh", "curl -H 'Authorization: BEARER " + "a1b2c3d4e5f6g7h8i9j0'\n"),
        ("db.txt", "postgresql://trainer:" + "s3cret-pass@db.internal/mlflow\n"),
        ("deploy_note", KEY_BLOCK),
    ],
)
def test_a_small_file_holding_a_key_or_token_is_a_secret_whatever_its_name(tmp_path, name, content):
    root = _write(tmp_path / "checkpoint" / "config.json", "{}").parent
    _write(root / name, content)

    manifest = create_checkpoint_archive(root, tmp_path / "out.tar.gz")

    assert _skipped(manifest)[name].startswith("secret (its content holds a ")
    assert _archived(manifest) == {"config.json"}


@pytest.mark.parametrize("name", ["token", "TOKEN", ".vault-token", "hub.token", "token.txt"])
def test_a_token_file_is_skipped_by_its_name(tmp_path, name):
    root = _write(tmp_path / "checkpoint" / "config.json", "{}").parent
    _write(root / name, "opaque")

    manifest = create_checkpoint_archive(root, tmp_path / "out.tar.gz")

    assert _skipped(manifest)[name].startswith("secret (matches ")


def test_tokenizer_files_naming_special_tokens_are_archived(tmp_path):
    root = _write(tmp_path / "checkpoint" / "config.json", '{"hub_token": null}').parent
    _write(root / "tokenizer.json", '{"model": {"type": "WordPiece"}}')
    _write(root / "tokenizer_config.json", '{"pad_token": "[PAD]", "unk_token": "[UNK]"}')
    _write(root / "special_tokens_map.json", '{"mask_token": "[MASK]"}')
    _write(root / "added_tokens.json", "{}")

    manifest = create_checkpoint_archive(root, tmp_path / "out.tar.gz")

    assert manifest.skipped == []
    assert len(manifest.files) == 5
