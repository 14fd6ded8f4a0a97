"""A FUSE filesystem that forgets, at a power cut, everything that was not fsynced.

The kiosk promises that a ticket shown to a resident survives a power cut. SIGKILL cannot test that:
the operating system's page cache keeps every write of a killed process. This filesystem keeps each
file twice, in memory: the bytes as written, and the bytes as of the last fsync/fdatasync of that
file. Names are kept twice too: a directory's entries as they stand, and as of the last fsync of the
directory (what POSIX promises for a create, an unlink or a rename, and what SQLite asks for when it
creates a journal or a WAL). A cut freezes the filesystem (every later change blocks, then fails),
the test kills the writer, and the reboot throws away what was not synced, unmounts (so the kernel's
own caches of this mount are gone too) and mounts again, the way lazyfs and CharybdeFS test databases.

With ``torn`` a reboot also keeps a random subset of the writes since the last sync, some cut short at
a 512-byte sector, applied in order: disks persist unsynced writes in any amount, not only none.

Run as ``python lossyfs.py MOUNTPOINT``; it reads commands on stdin and answers one line each:
    (start)          -> "up"            mounted and empty
    cut              -> "frozen"        from now on, changes block (and change nothing); SIGKILL the
                                        writers, then:
    release          -> "released"      the blocked changes fail, so the killed writers can exit
                                        (a dying process still writes back its dirty mmap pages);
                                        wait until they are gone, then:
    reboot SEED [torn] -> "up N"        unsynced data dropped, remounted; N = files kept
    stats            -> "stats JSON"    counts of writes, syncs and bytes dropped
    quit             -> unmounts and exits
Test-only: it lives under tests/ and is never shipped.
"""

from __future__ import annotations

import errno
import json
import os
import random
import stat
import subprocess
import sys
import threading
import time
from typing import Any

os.environ.setdefault("FUSE_LIBRARY_NAME", "fuse3")  # Debian's fuse3; libfuse2 is not needed

import mfusepy as fuse

SECTOR = 512


class Node:
    def __init__(self, mode: int) -> None:
        self.mode = mode
        now = time.time_ns()
        self.mtime = self.ctime = now
        # A file: bytes as written, bytes as of its last fsync, and the writes since (for torn cuts).
        self.data = bytearray()
        self.synced = b""
        self.pending: list[tuple[int, bytes | None]] = []  # (offset, bytes) or (length, None) = truncate
        # A directory: entries as they stand and as of its last fsync.
        self.entries: dict[str, Node] = {}
        self.synced_entries: dict[str, Node] = {}

    @property
    def is_dir(self) -> bool:
        return stat.S_ISDIR(self.mode)


class LossyFS(fuse.Operations):
    use_ns = True

    def __init__(self) -> None:
        self.root = Node(stat.S_IFDIR | 0o755)
        self.handles: dict[int, Node] = {}
        self.next_fh = 1
        self.frozen = False
        self.thaw = threading.Event()
        self.counts = {"writes": 0, "syncs": 0, "dirsyncs": 0, "cuts": 0, "bytes_dropped": 0}
        self.mounted = threading.Event()
        self.last_kept = 0

    # ---- the cut -----------------------------------------------------------------
    def gate(self) -> None:
        """Every change passes here: after a cut it waits until the writers are dead, then fails."""
        if self.frozen:
            self.thaw.wait()
            raise fuse.FuseOSError(errno.EIO)

    def revert(self, rng: random.Random, torn: bool) -> int:
        """The state a machine finds after a power cut: synced names, synced bytes (plus, if torn, some
        of the unsynced writes). Called only while unmounted."""
        self.counts["cuts"] += 1
        kept = 0

        def walk(d: Node) -> None:
            nonlocal kept
            d.entries = dict(d.synced_entries)
            for child in d.entries.values():
                if child.is_dir:
                    walk(child)
                    continue
                kept += 1
                durable = bytearray(child.synced)
                if torn:
                    for offset, chunk in child.pending:
                        if rng.random() < 0.5:
                            continue
                        if chunk is None:
                            del durable[offset:]
                            continue
                        if rng.random() < 0.3:  # the power went mid-write: a prefix of whole sectors
                            chunk = chunk[: SECTOR * rng.randrange(len(chunk) // SECTOR + 1)]
                        if len(durable) < offset:
                            durable.extend(bytes(offset - len(durable)))
                        durable[offset : offset + len(chunk)] = chunk
                self.counts["bytes_dropped"] += abs(len(child.data) - len(durable)) + sum(
                    a != b for a, b in zip(child.data, durable, strict=False)
                )
                child.data = durable
                child.synced = bytes(durable)
                child.pending = []

        walk(self.root)
        self.handles.clear()
        return kept

    # ---- lookups -------------------------------------------------------------------
    def node(self, path: str) -> Node:
        n = self.root
        for part in [p for p in path.split("/") if p]:
            if not n.is_dir or part not in n.entries:
                raise fuse.FuseOSError(errno.ENOENT)
            n = n.entries[part]
        return n

    def parent(self, path: str) -> tuple[Node, str]:
        head, _, name = path.rstrip("/").rpartition("/")
        d = self.node(head or "/")
        if not d.is_dir:
            raise fuse.FuseOSError(errno.ENOTDIR)
        return d, name

    def handle(self, node: Node) -> int:
        fh = self.next_fh
        self.next_fh += 1
        self.handles[fh] = node
        return fh

    def file(self, path: str | None, fh: int | None) -> Node:
        if fh and fh in self.handles:
            return self.handles[fh]
        if path is None:
            raise fuse.FuseOSError(errno.EBADF)
        return self.node(path)

    # ---- FUSE operations -------------------------------------------------------------
    def init(self, path: str) -> None:
        self.mounted.set()

    def getattr(self, path: str, fh: int | None = None) -> dict[str, Any]:
        n = self.file(path, fh)
        return {
            "st_mode": n.mode,
            "st_nlink": 2 if n.is_dir else 1,
            "st_size": len(n.data),
            "st_uid": os.getuid(),
            "st_gid": os.getgid(),
            "st_mtime": n.mtime,
            "st_ctime": n.ctime,
            "st_atime": n.mtime,
            "st_blksize": 4096,
            "st_blocks": (len(n.data) + 511) // 512,
        }

    def readdir(self, path: str, fh: int) -> list[str]:
        return [".", "..", *self.node(path).entries]

    def statfs(self, path: str) -> dict[str, int]:
        return {
            "f_bsize": 4096,
            "f_frsize": 4096,
            "f_blocks": 1 << 20,
            "f_bfree": 1 << 19,
            "f_bavail": 1 << 19,
        }

    def access(self, path: str, amode: int) -> int:
        self.node(path)
        return 0

    def open(self, path: str, flags: int) -> int:
        n = self.node(path)
        if flags & os.O_TRUNC:
            self.truncate(path, 0)
        return self.handle(n)

    def opendir(self, path: str) -> int:
        return self.handle(self.node(path))

    def release(self, path: str, fh: int) -> int:
        self.handles.pop(fh, None)
        return 0

    releasedir = release

    def flush(self, path: str, fh: int) -> int:
        return 0

    def read(self, path: str, size: int, offset: int, fh: int) -> bytes:
        return bytes(self.file(path, fh).data[offset : offset + size])

    def create(self, path: str, mode: int, fi: Any = None) -> int:
        self.gate()
        d, name = self.parent(path)
        n = d.entries.get(name)
        if n is None:
            n = d.entries[name] = Node(stat.S_IFREG | (mode & 0o7777))
            d.mtime = time.time_ns()
        return self.handle(n)

    def mkdir(self, path: str, mode: int) -> int:
        self.gate()
        d, name = self.parent(path)
        if name in d.entries:
            raise fuse.FuseOSError(errno.EEXIST)
        d.entries[name] = Node(stat.S_IFDIR | (mode & 0o7777))
        return 0

    def unlink(self, path: str) -> int:
        self.gate()
        d, name = self.parent(path)
        if name not in d.entries or d.entries[name].is_dir:
            raise fuse.FuseOSError(errno.ENOENT)
        del d.entries[name]
        return 0

    def rmdir(self, path: str) -> int:
        self.gate()
        d, name = self.parent(path)
        n = d.entries.get(name)
        if n is None or not n.is_dir:
            raise fuse.FuseOSError(errno.ENOENT)
        if n.entries:
            raise fuse.FuseOSError(errno.ENOTEMPTY)
        del d.entries[name]
        return 0

    def rename(self, old: str, new: str) -> int:
        self.gate()
        src, a = self.parent(old)
        dst, b = self.parent(new)
        if a not in src.entries:
            raise fuse.FuseOSError(errno.ENOENT)
        dst.entries[b] = src.entries.pop(a)
        return 0

    def write(self, path: str, data: bytes, offset: int, fh: int) -> int:
        self.gate()
        n = self.file(path, fh)
        if len(n.data) < offset:
            n.data.extend(bytes(offset - len(n.data)))
        n.data[offset : offset + len(data)] = data
        n.pending.append((offset, bytes(data)))
        n.mtime = time.time_ns()
        self.counts["writes"] += 1
        return len(data)

    def truncate(self, path: str, length: int, fh: int | None = None) -> int:
        self.gate()
        n = self.file(path, fh)
        if length < len(n.data):
            del n.data[length:]
        else:
            n.data.extend(bytes(length - len(n.data)))
        n.pending.append((length, None))
        return 0

    def fsync(self, path: str, datasync: int, fh: int) -> int:
        self.gate()
        n = self.file(path, fh)
        n.synced = bytes(n.data)
        n.pending = []
        self.counts["syncs"] += 1
        return 0

    def fsyncdir(self, path: str, datasync: int, fh: int) -> int:
        self.gate()
        d = self.file(path, fh)
        d.synced_entries = dict(d.entries)
        self.counts["dirsyncs"] += 1
        return 0

    def utimens(self, path: str, times: tuple[int, int] | None = None) -> int:
        self.gate()
        self.node(path).mtime = times[1] if times else time.time_ns()
        return 0

    def chmod(self, path: str, mode: int) -> int:
        self.gate()
        n = self.node(path)
        n.mode = (n.mode & ~0o7777) | (mode & 0o7777)
        return 0

    def chown(self, path: str, uid: int, gid: int) -> int:
        self.gate()
        return 0


def unmount(mountpoint: str, lazy: bool = False) -> bool:
    """Unmount, retrying for 5 s while the kernel still holds a just-killed process's files."""
    for _ in range(500):
        if subprocess.run(["fusermount3", "-u", "-q", mountpoint], capture_output=True).returncode == 0:
            return True
        time.sleep(0.01)
    if lazy:
        subprocess.run(["fusermount3", "-u", "-z", "-q", mountpoint], capture_output=True)
    return False


def main() -> None:
    mountpoint = sys.argv[1]
    fs = LossyFS()
    pending_reboot: list[tuple[random.Random, bool]] = []
    stop = threading.Event()

    def say(line: str) -> None:
        os.write(1, (line + "\n").encode())

    def control() -> None:
        if not fs.mounted.wait(30):
            say("error: the filesystem did not mount in 30 s")
            os._exit(1)
        say("up")
        for line in sys.stdin:
            cmd, *args = line.split()
            if cmd == "cut":
                fs.frozen = True
                say("frozen")
            elif cmd == "release":
                fs.thaw.set()  # the writers have been sent SIGKILL: a change still waiting fails
                say("released")
            elif cmd == "reboot":
                pending_reboot.append((random.Random(int(args[0])), "torn" in args))
                fs.mounted.clear()
                fs.thaw.set()
                if not unmount(mountpoint):
                    say("error: the mount is still busy 5 s after the cut (is a writer still alive?)")
                    os._exit(1)
                if not fs.mounted.wait(30):
                    say("error: the filesystem did not mount again in 30 s")
                    os._exit(1)
                say(f"up {fs.last_kept}")
            elif cmd == "stats":
                say("stats " + json.dumps(fs.counts))
            else:
                break
        stop.set()
        unmount(mountpoint, lazy=True)

    threading.Thread(target=control, daemon=True).start()
    while not stop.is_set():
        # The loop runs in the main thread (libfuse installs signal handlers); one thread serves the
        # requests, so no two operations ever overlap.
        fuse.FUSE(fs, mountpoint, foreground=True, nothreads=True, fsname="lossyfs")
        if stop.is_set():
            break
        rng, torn = pending_reboot.pop()
        fs.last_kept = fs.revert(rng, torn)
        fs.frozen = False
        fs.thaw.clear()


if __name__ == "__main__":
    main()
