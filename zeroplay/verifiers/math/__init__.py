"""Math answer verification: ``verifiers.make("math")``. See :class:`MathVerifier`."""

from zeroplay.verifiers.math.extract import Extracted, extract_answer
from zeroplay.verifiers.math.options import MathOptions
from zeroplay.verifiers.math.verifier import MathVerifier

__all__ = ["Extracted", "MathOptions", "MathVerifier", "extract_answer"]
