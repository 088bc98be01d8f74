"""What the benchmarks share: the line each prints about where it ran (the
figures in bench/RESULTS.md name the machine they were measured on), and
the pieces every server benchmark uses: a free port, pinning to a CPU, a
process's CPU time and waiting for a server to go idle."""
import os
import platform
import shutil
import socket
import time

TICK = os.sysconf('SC_CLK_TCK') if hasattr(os, 'sysconf') else 100


def machine():
    """CPU model, CPU count, Python and platform, in one line."""
    cpu = ''
    try:
        for line in open('/proc/cpuinfo'):
            if line.startswith('model name'):
                cpu = line.split(':', 1)[1].strip()
                break
    except OSError:
        pass
    return '%s, %d CPUs, Python %s, %s' % (cpu or platform.processor(), os.cpu_count(),
                                           platform.python_version(), platform.platform())


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def pinned(cpu):
    """The command prefix that runs a program on CPU ``cpu`` (none without
    ``taskset``)."""
    return ['taskset', '-c', str(cpu)] if shutil.which('taskset') else []


def cpu_seconds(pid):
    """User + system CPU seconds of a process, all its threads (the audit
    sealer's too), from /proc/<pid>/stat (Linux)."""
    with open('/proc/%d/stat' % pid) as f:
        # The command name (field 2) may hold spaces: split after its ')'.
        fields = f.read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK      # utime, stime


def settle(pid, quiet=0.02, longest=60):
    """Wait until the server is idle: requests queued when the load stopped
    (a few sign-ins of 0.2 s each) would otherwise run on its CPU during the
    next server's measurement."""
    deadline = time.monotonic() + longest
    last = cpu_seconds(pid)
    while time.monotonic() < deadline:
        time.sleep(0.2)
        now = cpu_seconds(pid)
        if now - last < quiet:
            return
        last = now
