"""Where things live on disk: shipped resources and the per-installation data directory.

Owns path resolution only; imports nothing heavy (used by `xingan-desk --help`).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_NAME = "xingan-desk"
ENV_HOME = "XINGAN_DESK_HOME"
DB_FILE = "xingan-desk.sqlite3"


def resource_root() -> Path:
    """The shipped `resources/` folder: inside the PyInstaller bundle, or next to the package."""
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "resources"
    here = Path(__file__).resolve().parent
    candidate = here.parent / "resources"
    if candidate.is_dir():
        return candidate
    # Installed as data files (non-editable install)
    return Path(sys.prefix) / "share" / APP_NAME / "resources"


def resource_path(*parts: str) -> Path:
    return resource_root().joinpath(*parts)


def data_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The window's data directory: --data-dir, else $XINGAN_DESK_HOME, else the platform dir."""
    if explicit:
        return Path(explicit).expanduser().resolve()
    env = os.environ.get(ENV_HOME)
    if env:
        return Path(env).expanduser().resolve()
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME, appauthor=False, roaming=False))


def db_path(directory: Path) -> Path:
    return directory / DB_FILE


def backups_dir(directory: Path) -> Path:
    return directory / "backups"
