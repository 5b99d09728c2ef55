"""What ``costlab derive`` prints, as a function of its request: the command line's work, done anywhere.

The command line runs :func:`render` in its own process for the built-in
names, and sends it to a formula worker of :mod:`costlab.derive.budget` when a
user's formula is involved, so that SymPy's work on it is bounded.
"""

from __future__ import annotations

import json

from costlab.derive.budget import task

__all__ = ["render"]


@task("derive")
def render(request: dict) -> str:
    """The text ``costlab derive`` prints for ``request`` (its subcommand, options and output format).

    Raises DeriveError (a refused input, its option named) or NoClosedForm.
    Run in this process for the built-in names, and in a formula worker of
    :mod:`costlab.derive.budget` when a user's formula is involved.
    """
    from costlab import derive as D

    command, cost, activation = request["command"], request.get("cost"), request.get("activation")
    if command in ("gradient", "matching") and activation is not None:
        try:
            act = D.activation(activation)
        except D.DeriveError as e:
            raise D.DeriveError(f"--activation: {e}") from None
    else:
        act = None
    if command == "gradient":
        try:
            derivations = [D.gradient(cost, act)]
        except D.DeriveError as e:
            raise D.DeriveError(f"--cost: {e}") from None
    elif command == "matching":
        derivations = [D.matching(act)]
    elif command == "entropy":
        derivations = [D.entropy()]
    elif command == "likelihood":
        derivations = [D.likelihood()]
    else:
        derivations = D.seed()
    if request["as_json"]:
        return json.dumps({**request["header"], **D.to_dict(derivations)}, ensure_ascii=False) + "\n"
    return {"text": D.to_text, "latex": D.to_latex, "markdown": D.to_markdown}[request["fmt"]](derivations)
