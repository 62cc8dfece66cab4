"""Where a sign-in is remembered: MSAL's token cache in a file only its owner can read.

The cache holds the refresh token, which signs in again without the user for weeks, so it
lives in one place only: a file created with mode 0600 inside a folder created with mode
0700 (by default `$XDG_CONFIG_HOME/outlook-kit/token-cache.json`, i.e.
`~/.config/outlook-kit/token-cache.json`). It is written whole to a new 0600 file that then
replaces the old one, so no reader ever sees half a file or a moment of wider permissions.
A cache file that the group or others could read is refused, not used: its refresh token
may already have been read. Never keep the cache in a notebook's folder under version
control, and never print it.

On Windows the mode bits mean little; the file lives in the user's profile, whose
access list already limits it to the user.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

import msal

from ..errors import TokenCacheError

TOKEN_CACHE_ENV = "OUTLOOK_KIT_TOKEN_CACHE"
FILE_MODE = 0o600
DIR_MODE = 0o700
_POSIX = os.name == "posix"


def default_token_cache_path() -> Path:
    """`$OUTLOOK_KIT_TOKEN_CACHE`, else `$XDG_CONFIG_HOME/outlook-kit/token-cache.json`."""
    chosen = os.environ.get(TOKEN_CACHE_ENV)
    if chosen:
        return Path(chosen).expanduser()
    if os.name == "nt":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    else:
        base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "outlook-kit" / "token-cache.json"


class TokenCacheFile:
    """An `msal.SerializableTokenCache` loaded from, and saved to, a private file.

    Args:
        path: the file; created on the first save (its folder too, with mode 0700).
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path).expanduser() if path is not None else default_token_cache_path()
        self.cache = msal.SerializableTokenCache()
        self._loaded = False

    def __repr__(self) -> str:
        return f"TokenCacheFile({str(self.path)!r})"

    def load(self) -> msal.SerializableTokenCache:
        """The cache, read from the file if there is one (once); refuses a file others can read."""
        if self._loaded:
            return self.cache
        self._loaded = True
        try:
            info = os.lstat(self.path)
        except FileNotFoundError:
            return self.cache
        except OSError as exc:
            raise TokenCacheError(
                f"cannot read the token cache {self.path} ({exc.strerror}); "
                "choose another file with --token-cache"
            ) from None
        self._check(info)
        try:
            text = self.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise TokenCacheError(
                f"cannot read the token cache {self.path} ({exc}); delete it and sign in again"
            ) from None
        if text.strip():
            try:
                self.cache.deserialize(text)
            except ValueError:
                raise TokenCacheError(
                    f"{self.path} is not a token cache (it is not MSAL's JSON); point "
                    "--token-cache at another file, or delete this one and sign in again"
                ) from None
        return self.cache

    def save(self) -> None:
        """Write the cache if it changed: a fresh 0600 file that replaces the old one."""
        if not self.cache.has_state_changed:
            return
        self._make_folder()
        data = self.cache.serialize().encode("utf-8")
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(temporary, flags, FILE_MODE)
        try:
            if _POSIX:
                os.fchmod(fd, FILE_MODE)  # the umask may have taken the owner's write bit
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                temporary.unlink()
            raise
        self.cache.has_state_changed = False

    def delete(self) -> bool:
        """Remove the file (sign out everywhere this cache knew); True if there was one."""
        self.cache = msal.SerializableTokenCache()
        self._loaded = True
        try:
            self.path.unlink()
        except FileNotFoundError:
            return False
        return True

    def _make_folder(self) -> None:
        folder = self.path.parent
        if folder.exists():
            return
        folder.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        if _POSIX:
            os.chmod(folder, DIR_MODE)

    def _check(self, info: os.stat_result) -> None:
        if not stat.S_ISREG(info.st_mode):
            raise TokenCacheError(
                f"the token cache {self.path} is not a regular file (a link or a folder); "
                "point --token-cache at a plain file"
            )
        if not _POSIX:
            return
        if info.st_uid != os.getuid():
            raise TokenCacheError(
                f"the token cache {self.path} belongs to another user; use your own file "
                "(--token-cache) and sign in again"
            )
        if info.st_mode & 0o077:
            raise TokenCacheError(
                f"the token cache {self.path} can be read by others (mode "
                f"{stat.S_IMODE(info.st_mode):04o}); its refresh token may have been seen. "
                f"Delete it and sign in again (or, if only you use this machine, "
                f"chmod 600 {self.path})"
            )
