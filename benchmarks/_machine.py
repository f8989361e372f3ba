"""What machine a benchmark ran on: the CPU model is recorded with every result, because the
same kind of machine may have an Intel or an AMD CPU and np.sort alone differs 9x between them."""
import platform
from pathlib import Path


def cpu_model() -> str:
    """The processor's "model name" from /proc/cpuinfo, else what platform reports."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()
