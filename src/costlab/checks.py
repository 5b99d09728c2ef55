"""Checked numbers: the one place where an argument's range is stated and enforced.

The API (``Network.fit``, ``NetworkGroup.fit``), the command line (``--eta``,
``--epochs``) and the page's JSON API all check numbers here, so the same value
is refused with the same words everywhere::

    >>> check_number("eta", -1, Bound(0, None, lo_open=True))
    Traceback (most recent call last):
    ...
    ValueError: eta must be > 0, got -1

A failed check raises ``ValueError`` with one line for people; the command line
turns it into an exit status 2, the page into a 400 answer. This module imports
nothing but the standard library.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

__all__ = ["Bound", "check_int", "check_number", "finite_json"]

#: Longest accepted text of one number (a string of a million digits is not a number).
MAX_NUMBER_TEXT = 64


@dataclass(frozen=True)
class Bound:
    """An allowed range: lo <= v <= hi (lo < v where ``lo_open``, v < hi where ``hi_open``).

    ``None`` leaves a side unbounded. ``integer`` asks for a whole number.
    ``default`` and ``help`` serve the callers that list their parameters (the
    page's API).
    """

    lo: float | None = None
    hi: float | None = None
    default: float | None = None
    integer: bool = False
    lo_open: bool = False
    hi_open: bool = False
    help: str = ""

    def describe(self) -> str:
        """What a value must be: ``a number in (0, 100]``, ``a whole number >= 1``, ``a number``."""
        kind = "a whole number" if self.integer else "a number"
        limits = self.limits()
        return f"{kind} {limits}" if limits else kind

    def limits(self) -> str:
        """The range alone: ``in (0, 100]``, ``> 0``, or '' when unbounded."""
        if self.lo is not None and self.hi is not None:
            left = "(" if self.lo_open else "["
            right = ")" if self.hi_open else "]"
            return f"in {left}{_num(self.lo)}, {_num(self.hi)}{right}"
        if self.lo is not None:
            return f"{'>' if self.lo_open else '>='} {_num(self.lo)}"
        if self.hi is not None:
            return f"{'<' if self.hi_open else '<='} {_num(self.hi)}"
        return ""

    def contains(self, v: float) -> bool:
        """Whether ``v`` lies in the range."""
        if self.lo is not None and (v <= self.lo if self.lo_open else v < self.lo):
            return False
        if self.hi is not None and (v >= self.hi if self.hi_open else v > self.hi):
            return False
        return True


def _num(v: float) -> str:
    """A bound as people read it: whole numbers in full (100000, not 1e+05), others with %g."""
    return str(int(v)) if float(v).is_integer() and abs(v) < 1e12 else f"{v:g}"


def _shown(raw, quoted: bool = False) -> str:
    """The value as the user gave it, cut to 40 characters; text in quotes where ``quoted``."""
    text = raw.strip() if isinstance(raw, str) else repr(raw)
    text = text[:40] + "..." if len(text) > 40 else text
    return repr(text) if quoted and isinstance(raw, str) else text


def check_number(name: str, raw, bound: Bound = Bound()) -> float | int:
    """v = float(raw), checked to be finite and inside ``bound``; an int where ``bound.integer``.

    Accepts Python and NumPy numbers and their text (``"0.5"``, as typed on
    the command line or sent by the page); refuses booleans, containers, text
    longer than MAX_NUMBER_TEXT, NaN and infinities.

    Raises
    ------
    ValueError
        One line naming ``name``, the range and the value.
    """
    want = bound.describe()
    if isinstance(raw, bool) or raw is None or not isinstance(raw, (numbers.Real, str)):
        if hasattr(raw, "dtype") and getattr(raw, "shape", None) == () and raw.dtype.kind in "iuf":
            raw = raw.item()  # a NumPy scalar or 0-d array
        else:
            raise ValueError(f"{name} must be {want}, got {_shown(raw)}")
    if isinstance(raw, str):
        text = raw.strip()
        if len(text) > MAX_NUMBER_TEXT:
            raise ValueError(f"{name} is too long ({len(text)} characters); it must be {want}")
        try:
            v = int(text, 10) if bound.integer and text.lstrip("+-").isdigit() else float(text)
        except ValueError:
            raise ValueError(f"{name} must be {want}, got {_shown(raw, quoted=True)}") from None
    else:
        v = raw
    if isinstance(v, float) or not isinstance(v, int):
        v = float(v)
        if not math.isfinite(v):
            raise ValueError(f"{name} must be a finite number, got {_shown(raw)}")
        if bound.integer:
            if v != int(v):
                raise ValueError(f"{name} must be {want}, got {_shown(raw, quoted=True)}")
            v = int(v)
    if not bound.contains(v):
        # one-sided ranges read best bare: "eta must be > 0", "epochs must be >= 1"
        limits = bound.limits()
        said = want if limits.startswith("in ") else limits
        raise ValueError(f"{name} must be {said}, got {_shown(raw)}")
    return v


def check_int(name: str, raw, minimum: int | None = None, maximum: int | None = None) -> int:
    """An integer n with minimum <= n <= maximum; a float or text of one is refused.

    Only true integers (Python or NumPy) pass: ``epochs=2.0`` is refused, as a
    count given as a float is usually a mistake.
    """
    if isinstance(raw, bool) or not isinstance(raw, numbers.Integral):
        if not (hasattr(raw, "dtype") and getattr(raw, "shape", None) == () and raw.dtype.kind in "iu"):
            raise ValueError(f"{name} must be an integer, got {_shown(raw)}")
    return check_number(name, int(raw), Bound(minimum, maximum, integer=True))


def finite_json(obj):
    """``obj`` with every non-finite float (inf, NaN) replaced by None, so that it is valid JSON.

    A cost formula can be infinite where an output rounds to exactly 0 or 1
    (``-log(1 - a)`` at a = 1.0): strict JSON has no infinity, so such a value
    is written as null.
    """
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: finite_json(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [finite_json(v) for v in obj]
    return obj
