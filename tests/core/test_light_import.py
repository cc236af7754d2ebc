"""`import zeroplay` stays light: no heavy package is imported, checked with -X importtime."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("torch", "transformers", "vllm", "docker", "ray", "matplotlib", "tokenizers")


def test_import_zeroplay_imports_no_heavy_package() -> None:
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", "import zeroplay, zeroplay.agents, zeroplay.verifiers"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    imported = {line.split("|")[-1].strip().split(".")[0] for line in proc.stderr.splitlines() if "|" in line}
    assert "zeroplay" in imported  # the check itself works
    found = sorted(set(HEAVY) & imported)
    assert not found, f"import zeroplay pulled in heavy packages: {found}"
