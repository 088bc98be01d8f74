"""What every benchmark prints about where it ran (the figures in
bench/RESULTS.md name the machine they were measured on)."""
import os
import platform


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
