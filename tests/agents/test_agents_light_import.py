"""Importing the agent modules loads no heavy library: torch and transformers come with the first agent built."""

from __future__ import annotations

import subprocess
import sys

MODULES = ["policy", "hf", "vllm", "openai", "human", "serve", "tiny"]


def test_agent_modules_import_light() -> None:
    code = (
        "import sys\n"
        + "".join(f"import zeroplay.agents.{m}\n" for m in MODULES)
        + "print(sorted(m for m in ('torch', 'transformers', 'tokenizers', 'vllm') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
