"""The attachment files beside the store: content-addressed by the SHA-256 of the content,
encrypted (AES-256-GCM) with a key derived from the store key when the store is encrypted.

Layout: `<data dir>/attachments/<2 hex>/<name>`, where `name` is the SHA-256 itself for a plain
store and HMAC(store subkey, SHA-256) for an encrypted one (so a file's name does not reveal
which document it holds). An encrypted file is `XDA1` + 12-byte nonce + ciphertext; the
SHA-256 is the associated data, so a file moved under another name fails to open. Files are
written once (to a temporary name, then renamed) and never changed or deleted by the program.

Backups: the folder is copied beside the backup file (`<backup>.attachments/`, hard links where
the file system allows, so the daily backups cost no space for unchanged files); restore copies
the files back. Nothing here touches the database.

Encrypting a store that already has attachments (`storage.db.encrypt_in_place`, at the first
open of an older unencrypted store, or after restoring an unencrypted backup) leaves its files
in clear until `seal_all` (run by `Desk.open`) seals them, its backups' folders too.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path

from ..fileperms import open_private, private_dir
from ..storage import keys

FOLDER = "attachments"
BACKUP_SUFFIX = ".attachments"
MAGIC = b"XDA1"
FILE_PURPOSE = "attachment-file"
NAME_PURPOSE = "attachment-name"
PARTIAL = ".partial"  # downloads in progress
SEALED = ".sealed"  # marker: no file of this encrypted store is left in clear (seal_all)


class AttachmentFileError(Exception):
    """A file is missing, unreadable, or does not match its SHA-256 (no message text: callers
    word it in Chinese)."""


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class FileStore:
    """Content-addressed files of one store. `key`: the store key (None for a plain store)."""

    def __init__(self, root: Path, key: bytes | None) -> None:
        self.root = root
        self.key = key

    @classmethod
    def beside(cls, directory: Path, key: bytes | None) -> FileStore:
        return cls(directory / FOLDER, key)

    # --- names ---------------------------------------------------------------------------
    def name_of(self, sha: str) -> str:
        if self.key is None:
            return sha
        return hmac.new(keys.subkey(self.key, NAME_PURPOSE), sha.encode("ascii"),
                        hashlib.sha256).hexdigest()

    def path_of(self, sha: str) -> Path:
        name = self.name_of(sha)
        return self.root / name[:2] / name

    def _candidates(self, sha: str) -> list[Path]:
        # a store encrypted after files were added keeps their plain names
        paths = [self.path_of(sha)]
        if self.key is not None:
            paths.append(self.root / sha[:2] / sha)
        return paths

    def has(self, sha: str) -> bool:
        return any(p.is_file() for p in self._candidates(sha))

    # --- content -------------------------------------------------------------------------
    def put(self, data: bytes) -> str:
        """Store `data` (once: an existing file of the same content is kept) → its SHA-256."""
        sha = sha256_of(data)
        if self.has(sha):
            return sha
        path = self.path_of(sha)
        private_dir(self.root)
        private_dir(path.parent)
        self._write(path, self._seal(sha, data))
        return sha

    def get(self, sha: str) -> bytes:
        """The content of `sha`; AttachmentFileError when missing, unreadable or altered."""
        for path in self._candidates(sha):
            try:
                raw = path.read_bytes()
            except FileNotFoundError:
                continue
            except OSError as exc:
                raise AttachmentFileError() from exc
            data = self._open(sha, raw)
            if sha256_of(data) != sha:
                raise AttachmentFileError()
            return data
        raise AttachmentFileError()

    def _seal(self, sha: str, data: bytes) -> bytes:
        if self.key is None:
            return data
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        nonce = secrets.token_bytes(12)
        return MAGIC + nonce + AESGCM(keys.subkey(self.key, FILE_PURPOSE)).encrypt(
            nonce, data, sha.encode("ascii"))

    def _open(self, sha: str, raw: bytes) -> bytes:
        if not raw.startswith(MAGIC):
            return raw  # a plain file (plain store, or written before it was encrypted)
        if self.key is None:
            raise AttachmentFileError()
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        try:
            return AESGCM(keys.subkey(self.key, FILE_PURPOSE)).decrypt(
                raw[4:16], raw[16:], sha.encode("ascii"))
        except (InvalidTag, ValueError) as exc:
            raise AttachmentFileError() from exc

    def is_encrypted_on_disk(self, sha: str) -> bool:
        for path in self._candidates(sha):
            with suppress(OSError), path.open("rb") as fh:
                return fh.read(4) == MAGIC
        return False

    # --- files left in clear when the store was encrypted ----------------------------------
    def seal_clear(self, linked: FileStore | None = None) -> int:
        """With a key: seal every file still in clear (written before the store was
        encrypted) under its encrypted name, then remove the clear one; downloads in
        progress kept in clear are dropped (they start again). `linked`: a store holding
        the same files already sealed (the live store, for a backup's folder: the sealed
        file is hard-linked from there, as backups are). Returns the files sealed."""
        if self.key is None or not self.root.is_dir():
            return 0
        n = 0
        for path in list(self.files()):
            with path.open("rb") as fh:
                if fh.read(4) == MAGIC:
                    continue
            data = path.read_bytes()
            sha = sha256_of(data)
            if path.name != sha:
                continue  # not one of ours (check() reports what does not match)
            target = self.path_of(sha)
            if not target.exists():
                source = linked.path_of(sha) if linked is not None else None
                private_dir(target.parent)
                try:
                    if source is None or not source.is_file():
                        raise OSError
                    os.link(source, target)
                except OSError:
                    self._write(target, self._seal(sha, data))
            path.unlink()
            n += 1
        partial = self.root / PARTIAL
        if partial.is_dir():
            for folder in partial.iterdir():
                chunks = [p for p in folder.glob("[0-9]*") if p.is_file()]
                if any(p.read_bytes()[:4] != MAGIC for p in chunks):
                    shutil.rmtree(folder, ignore_errors=True)
        return n

    @staticmethod
    def _write(path: Path, raw: bytes) -> None:
        tmp = path.with_name(f"{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            with open_private(tmp) as fh:
                fh.write(raw)
                fh.flush()
                os.fsync(fh.fileno())
            tmp.replace(path)
        finally:
            with suppress(OSError):
                tmp.unlink()

    # --- downloads in progress (sealed like the files; resumed after a cut connection) ----
    def _partial_dir(self, sha: str) -> Path:
        return self.root / PARTIAL / self.name_of(sha)

    def partial_chunk_size(self, sha: str) -> int | None:
        try:
            return int((self._partial_dir(sha) / "chunk").read_text("ascii"))
        except (OSError, ValueError):
            return None

    def has_partial(self, sha: str, idx: int) -> bool:
        return (self._partial_dir(sha) / f"{idx:06d}").is_file()

    def put_partial(self, sha: str, idx: int, chunk_size: int, data: bytes) -> None:
        folder = self._partial_dir(sha)
        private_dir(self.root)
        private_dir(folder.parent)
        private_dir(folder)
        marker = folder / "chunk"
        if not marker.exists():
            with open_private(marker) as fh:
                fh.write(str(chunk_size).encode("ascii"))
        tmp = folder / f"{idx:06d}.tmp"
        with open_private(tmp) as fh:
            fh.write(self._seal(f"{sha}:{idx}", data))
        tmp.replace(folder / f"{idx:06d}")

    def get_partial(self, sha: str, idx: int) -> bytes:
        try:
            raw = (self._partial_dir(sha) / f"{idx:06d}").read_bytes()
        except OSError as exc:
            raise AttachmentFileError() from exc
        return self._open(f"{sha}:{idx}", raw)

    def drop_partial(self, sha: str) -> None:
        shutil.rmtree(self._partial_dir(sha), ignore_errors=True)

    # --- backups -------------------------------------------------------------------------
    def files(self) -> Iterator[Path]:
        if not self.root.is_dir():
            return
        for sub in sorted(self.root.iterdir()):
            if sub.is_dir() and sub.name != PARTIAL:
                yield from sorted(p for p in sub.iterdir()
                                  if p.is_file() and not p.name.endswith(".tmp"))

    def copy_to(self, target: Path) -> int:
        """Copy every file into the folder `target` (same layout); hard links where possible.
        Returns the number of files there."""
        n = 0
        for path in self.files():
            dest = target / path.parent.name / path.name
            n += 1
            if dest.exists():
                continue
            private_dir(target)
            private_dir(dest.parent)
            try:
                os.link(path, dest)
            except OSError:
                shutil.copy2(path, dest)
        return n

    def copy_from(self, source: Path) -> int:
        """Bring the files of a backup's folder in (those missing here). Returns how many.
        Files brought in may be in clear (a backup made before the store was encrypted):
        the store's next open seals them (`seal_all`)."""
        n = 0
        if not source.is_dir():
            return 0
        (self.root / SEALED).unlink(missing_ok=True)
        for sub in sorted(source.iterdir()):
            if not sub.is_dir():
                continue
            for path in sorted(sub.iterdir()):
                dest = self.root / sub.name / path.name
                if dest.exists() or not path.is_file():
                    continue
                private_dir(self.root)
                private_dir(dest.parent)
                shutil.copy2(path, dest)
                n += 1
        return n


def backup_folder(backup_file: Path) -> Path:
    """Where a backup's attachment files are kept: beside it."""
    return backup_file.with_name(backup_file.name + BACKUP_SUFFIX)


def seal_all(directory: Path, backups: Path, key: bytes | None) -> int:
    """Once a store is encrypted, no attachment file stays in clear: the store's own files
    and those of its backups' folders (which hard-link the same files) are sealed. Runs at
    the store's open until it has once gone through (marker `attachments/.sealed`, removed
    when a restore brings files in), so an interrupted pass is finished at the next open.
    Returns the files sealed."""
    live = FileStore.beside(directory, key)
    if key is None or not live.root.is_dir() or (live.root / SEALED).exists():
        return 0
    n = live.seal_clear()
    if backups.is_dir():
        for folder in sorted(backups.glob(f"*{BACKUP_SUFFIX}")):
            if folder.is_dir():
                n += FileStore(folder, key).seal_clear(linked=live)
    with open_private(live.root / SEALED) as fh:
        fh.write(b"sealed\n")
    return n


__all__ = ["BACKUP_SUFFIX", "FOLDER", "AttachmentFileError", "FileStore", "backup_folder",
           "seal_all", "sha256_of"]
