"""Processes: start pinned with taskset, stop, and read RSS and CPU time from /proc."""
import os
import shutil
import signal
import socket
import subprocess
import threading
import time

from . import BenchError

CLK_TCK = os.sysconf("SC_CLK_TCK")
# Core 0 runs the proxy under test, core 1 the load generator and the backend.
PROXY_CORE = "0"
LOAD_CORE = "1"


def require(tool: str) -> str:
    path = shutil.which(tool) or (f"/usr/sbin/{tool}" if os.access(f"/usr/sbin/{tool}", os.X_OK) else None)
    if not path:
        raise BenchError(f"`{tool}` is missing: run bench/install.sh (make bench installs it)")
    return path


def pinned(core: str, argv: list[str]) -> list[str]:
    return [require("taskset"), "-c", core, *argv]


def free_port() -> int:
    """A port free on both 127.0.0.1 and [::1] right now."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        try:
            with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s6:
                s6.bind(("::1", port))
        except OSError:
            continue
        return port
    raise BenchError("no free loopback port")


def wait_port(port: int, host: str = "127.0.0.1", timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.02)
    raise BenchError(f"nothing listens on {host}:{port} after {timeout:.0f} s")


def _stat_fields(pid: int | str) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (state, ppid, …), or None if gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return None
    return stat[stat.rfind(")") + 2:].split()


def children(pid: int) -> list[int]:
    """Direct children of pid (nginx's workers)."""
    found = []
    for entry in os.listdir("/proc"):
        fields = _stat_fields(entry) if entry.isdigit() else None
        if fields and int(fields[1]) == pid:
            found.append(int(entry))
    return found


def family(pid: int) -> list[int]:
    return [pid, *children(pid)]


def cpu_seconds(pids: list[int]) -> float:
    """utime + stime of each process (all its threads), summed."""
    total = 0
    for pid in pids:
        fields = _stat_fields(pid)
        if fields:
            total += int(fields[11]) + int(fields[12])
    return total / CLK_TCK


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise BenchError(f"no VmRSS for pid {pid}")


class PeakRss:
    """Samples a process's RSS every 50 ms while in a `with` block (it may be entered again);
    `.peak` is the highest seen, in KiB. The sampling thread runs on the load core: left to the
    scheduler it may land on the proxy's core and take it from the proxy under test."""

    def __init__(self, pid: int):
        self.pid, self.peak = pid, 0

    def _run(self) -> None:
        try:
            os.sched_setaffinity(0, {int(LOAD_CORE)})  # this thread only
        except OSError:
            pass  # no such core: pinning the load elsewhere fails first, with its own message
        while not self._stop.is_set():
            try:
                self.peak = max(self.peak, rss_kib(self.pid))
            except (OSError, BenchError):
                pass
            self._stop.wait(0.05)

    def __enter__(self):
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_):
        self._stop.set()
        self._thread.join()


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when the harness dies, so nothing outlives it."""
    try:
        import ctypes
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class Proc:
    """A child process, stopped with SIGTERM (then SIGKILL) by stop()."""

    def __init__(self, name: str, argv: list[str], env: dict | None = None, stdout=None, log: str | None = None):
        self.name = name
        self._log = open(log, "ab") if log else None
        self.popen = subprocess.Popen(argv, env=env, stdout=stdout if stdout is not None else (self._log or subprocess.DEVNULL),
                                      stderr=self._log or subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                                      preexec_fn=_die_with_parent)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def check_alive(self) -> None:
        if not self.alive():
            raise BenchError(f"{self.name} exited with status {self.popen.returncode}")

    def stop(self) -> None:
        if self.alive():
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        if self._log:
            self._log.close()
