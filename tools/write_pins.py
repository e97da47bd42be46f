"""Write constraints.txt from the active environment (``make pins``).

``pip freeze`` records the local CPU build as ``torch==2.13.0+cpu``, a version
PyPI does not have, so the tag is dropped and torch is put first.
"""
import subprocess
import sys
from pathlib import Path

HEADER = """# Exact pins for every install of this course (pip install -c constraints.txt ...).
# torch first: 2.13.0 is the CPU build; any other torch pulls several GB of CUDA.
# Regenerate with 'make pins' (never ship a raw 'pip freeze': it writes torch==2.13.0+cpu).
"""

frozen = subprocess.run([sys.executable, "-m", "pip", "freeze", "--exclude-editable"],
                        check=True, capture_output=True, text=True).stdout.splitlines()
pins = [line.split("+")[0] for line in frozen if "==" in line and not line.startswith("pip==")]
torch = [p for p in pins if p.startswith("torch==")]
rest = sorted((p for p in pins if not p.startswith("torch==")), key=str.lower)
Path("constraints.txt").write_text(HEADER + "\n".join(torch + rest) + "\n")
print(f"wrote {len(pins)} pins")
