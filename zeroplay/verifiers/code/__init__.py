"""Code verification in the sandbox: ``verifiers.make("code")``. See :class:`CodeVerifier`."""

from zeroplay.verifiers.code.verifier import CodeVerifier, extract_code

__all__ = ["CodeVerifier", "extract_code"]
