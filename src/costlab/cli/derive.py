"""``costlab derive``: the blog post's algebra, gradients and matching costs, done by SymPy.

SymPy is imported only when a derivation runs (inside the commands below), so
``costlab --help`` and ``costlab derive --help`` stay fast.
"""

from __future__ import annotations

import click

from costlab.cli._common import Command, CommandFailed, Group, InputError, Number

__all__ = ["COST_NAMES", "FORMATS", "derive"]

#: The costs ``derive gradient`` knows; spelled out so that this module does not
#: import SymPy; a test checks them against costlab.derive.COST_NAMES.
COST_NAMES = ("quadratic", "cross-entropy", "log-likelihood")
FORMATS = ("text", "latex", "markdown")
#: Seconds a derivation may take before it is given up (a formula SymPy cannot handle).
DEFAULT_TIME_LIMIT = 60.0

_ACTIVATION_HELP = (
    "Output activation: sigmoid, tanh, identity, relu, softmax, or a formula in z "
    "such as '1/(1+exp(-2*z))' or 'atan(z)' (z, numbers, + - * / ^ ( ) and exp, log, "
    "sqrt, sin, cos, tan, atan, sinh, cosh, tanh, asinh, erf, abs, max, min, pi, e)."
)


def _output_options(f):
    f = click.option("--json", "as_json", is_flag=True, default=None,
                     help="Print one JSON object: the steps (lhs, rhs, latex) and the sections.")(f)
    f = click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
                     help="text (default; for the terminal), latex (align* blocks) or markdown ($$ blocks).")(f)
    return f


def _time_limit_option(f):
    return click.option("--time-limit", type=Number(gt=0, le=3600), default=DEFAULT_TIME_LIMIT, show_default=True,
                        metavar="SECONDS", help="Give up a derivation that takes longer than this.")(f)




def _settings(ctx, fmt, as_json):
    """This command's --format/--json, else those given to ``costlab derive`` before it."""
    parent = ctx.obj or {}
    fmt = fmt or parent.get("fmt") or "text"
    as_json = as_json if as_json is not None else bool(parent.get("as_json"))
    return fmt, as_json


def _emit(command, *, fmt, as_json, header, time_limit, cost=None, activation=None, user_formula=False):
    """Print the derivations of ``command``: a user's formula under the budget of a formula worker
    (:mod:`costlab.derive.budget`), the built-ins here under a time limit."""
    request = {"command": command, "cost": cost, "activation": activation, "fmt": fmt, "as_json": bool(as_json),
               "header": header}
    if user_formula:  # time bombs refused before SymPy is even imported
        from costlab.formula_limits import check_formula

        if activation is not None:
            check_formula(activation, lambda message: InputError(f"--activation: {message}"))
    from costlab.derive import budget
    from costlab.derive.symbols import DeriveError, NoClosedForm

    from costlab.derive.command import render

    gave_up = CommandFailed(f"gave up after {time_limit:g} s: SymPy found no answer in time "
                            "(try a simpler formula, or a larger --time-limit)")
    try:
        with budget.limits(seconds=time_limit):
            if user_formula:
                text = budget.run("derive", request)
            else:  # the built-ins, in this process under the same time limit
                with budget.timer():
                    text = render(request)
    except budget.FormulaTooCostly as e:
        raise (gave_up if e.limit == "time" else CommandFailed(str(e))) from None
    except budget.SymPyFailed as e:
        raise CommandFailed(str(e)) from None
    except DeriveError as e:
        raise InputError(str(e)) from None
    except NoClosedForm as e:
        raise CommandFailed(str(e)) from None
    click.echo(text, nl=False)


def _is_formula(activation: str | None) -> bool:
    return activation is not None and activation not in ("sigmoid", "tanh", "identity", "relu", "softmax")


@click.group(cls=Group, invoke_without_command=True,
             short_help="Derive the blog post's formulas step by step with SymPy.")
@_output_options
@click.pass_context
def derive(ctx, fmt, as_json):
    """Derive the formulas of the blog post (Nielsen's chapter 3) step by step with SymPy.

    With no subcommand, print the blog post's derivations in order: the sigmoid's
    derivative sigma'(z) = sigma(z)(1 - sigma(z)); the quadratic cost's
    gradients, which carry sigma'(z); the cross-entropy's, where it cancels;
    and the cross-entropy found from dC/db = a - y.

    \b
    Examples:
      costlab derive
      costlab derive gradient --cost quadratic --activation tanh
      costlab derive matching --activation 'atan(z)' --format latex
      costlab derive gradient --cost "focal(gamma=2)"
      costlab derive entropy
    """
    ctx.obj = {"fmt": fmt, "as_json": as_json}
    if ctx.invoked_subcommand is None:
        fmt, as_json = _settings(ctx, None, None)
        _emit("seed", fmt=fmt, as_json=as_json, header={"command": "derive"}, time_limit=DEFAULT_TIME_LIMIT)


@derive.command("post", cls=Command, short_help="The blog post's derivations (the default).")
@_output_options
@click.pass_context
def post(ctx, fmt, as_json):
    """The blog post's derivations in order (what `costlab derive` prints)."""
    fmt, as_json = _settings(ctx, fmt, as_json)
    _emit("seed", fmt=fmt, as_json=as_json, header={"command": "derive"}, time_limit=DEFAULT_TIME_LIMIT)


# the earlier name of `costlab derive post`, kept working
derive.add_command(click.Command("seed", callback=post.callback, params=post.params, hidden=True,
                                 help=post.help), "seed")


@derive.command(cls=Command, short_help="dC/dz, dC/dw and dC/db of a cost for an output activation.")
@click.option("--cost", required=True, metavar="SPEC",
              help="The cost C: quadratic, cross-entropy, log-likelihood, focal, with parameters "
                   "(cross-entropy(pos_weight=3), focal(gamma=2, alpha=0.25), log-likelihood(smoothing=0.1)), "
                   "or a formula in a and y such as '(a - y)**4/4'.")
@click.option("--activation", metavar="NAME|EXPR", default=None,
              help=_ACTIVATION_HELP + " Default: the cost's own (sigmoid; softmax for log-likelihood).")
@_output_options
@_time_limit_option
@click.pass_context
def gradient(ctx, cost, activation, fmt, as_json, time_limit):
    """dC/dz, dC/dw and dC/db of COST for a neuron z = w x + b, a = sigma(z).

    Each step is computed by SymPy and simplified; the factor that slows
    learning down (sigma'(z) = a(1 - a) for the quadratic cost and a sigmoid)
    is named, or its cancellation shown (dC/dz = a - y).

    The softmax is worked with 3 classes written out (z1, z2, z3; a one-hot
    target y1 + y2 + y3 = 1). The log-likelihood needs the softmax and is
    refused with any other activation; the cross-entropy with an output
    outside (0, 1) (tanh, identity) is derived, with a note that C is not real
    there.
    """
    fmt, as_json = _settings(ctx, fmt, as_json)
    header = {"command": "gradient", "cost": cost, "activation": activation}
    _emit("gradient", fmt=fmt, as_json=as_json, header=header, time_limit=time_limit, cost=cost,
          activation=activation, user_formula=_is_formula(activation) or cost not in COST_NAMES)


@derive.command(cls=Command, short_help="The cost whose output error is dC/dz = a - y for an activation.")
@click.option("--activation", metavar="NAME|EXPR", default="sigmoid", show_default=True, help=_ACTIVATION_HELP)
@_output_options
@_time_limit_option
@click.pass_context
def matching(ctx, activation, fmt, as_json, time_limit):
    """The cost whose output error is exactly dC/dz = a - y (the activation's matching loss).

    From dC/dz = dC/da * sigma'(z) = a - y: write sigma'(z) with a through
    the inverse z = sigma^-1(a), divide, and integrate over a; the constant
    makes C = 0 when a = y. identity gives the quadratic cost, sigmoid the
    cross-entropy, softmax the log-likelihood, tanh its own.

    Where SymPy finds no inverse or no antiderivative (relu, erf(z), ...),
    one line says so and the exit status is 1.
    """
    fmt, as_json = _settings(ctx, fmt, as_json)
    header = {"command": "matching", "activation": activation}
    _emit("matching", fmt=fmt, as_json=as_json, header=header, time_limit=time_limit, activation=activation,
          user_formula=_is_formula(activation))


@derive.command(cls=Command, short_help="Cross-entropy = entropy + Kullback-Leibler divergence, step by step.")
@_output_options
@click.pass_context
def entropy(ctx, fmt, as_json):
    """The cross-entropy of a target distribution y and an output a is H(y) + KL(y || a).

    So minimizing it pulls the output distribution towards the target; for a
    one-hot target it is -ln a_y, the log-likelihood cost.
    """
    fmt, as_json = _settings(ctx, fmt, as_json)
    _emit("entropy", fmt=fmt, as_json=as_json, header={"command": "entropy"}, time_limit=DEFAULT_TIME_LIMIT)


@derive.command(cls=Command, short_help="Why minimizing the log-likelihood cost is maximum likelihood.")
@_output_options
@click.pass_context
def likelihood(ctx, fmt, as_json):
    """The log-likelihood cost is -1/n times the log of the likelihood of the labels.

    So gradient descent on it is maximum-likelihood estimation; for a sigmoid
    output the cross-entropy is the log-likelihood of a yes/no label.
    """
    fmt, as_json = _settings(ctx, fmt, as_json)
    _emit("likelihood", fmt=fmt, as_json=as_json, header={"command": "likelihood"},
          time_limit=DEFAULT_TIME_LIMIT)
