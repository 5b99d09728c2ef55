"""The catalogue of costlab's words: every message in one language is in the other, and nothing is left unused."""

from __future__ import annotations

import ast
import html
import re
from pathlib import Path

import pytest

from costlab import i18n
from costlab.mathlabel import latex_text, skeleton, split, to_latex

SRC = Path(__file__).resolve().parents[1] / "src" / "costlab"
STATIC = SRC / "web" / "static"


def messages_in_the_code() -> set[str]:
    """Every literal first argument of ``tr(...)`` in the package."""
    found = set()
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "tr" and node.args
                    and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                found.add(node.args[0].value)
    return found


def messages_of_the_derivations() -> set[str]:
    """The words of the blog post's derivations (titles, step labels, notes), their formulas taken out."""
    from costlab import derive

    return {skeleton(text)[0] for d in derive.seed() for text in [d.title, *(s.label for s in d.steps), *d.notes]}


def messages_of_the_page() -> set[str]:
    """The inner HTML of every element marked ``data-i18n`` (as the browser reads it: entities decoded,
    spaces collapsed), every label for screen readers (``aria-label``, but the language button's), every
    ``t("...")`` of the page's scripts and every status line they set (``setTraining(..., ["..."``)."""
    page = "".join(path.read_text() for path in STATIC.glob("*.html"))
    marked = re.findall(r"<(\w+)\b[^>]*\sdata-i18n\b[^>]*>(.*?)</\1>", page, re.S)
    labels = {html.unescape(v) for v in re.findall(r'\saria-label="([^"]*)"', page)} - {"中文 / English"}
    js = "".join(path.read_text() for path in STATIC.glob("*.js"))
    status = re.findall(r'\bset\w+\((?:true|false|running), \["((?:[^"\\]|\\.)*)"', js)
    status += re.findall(r'\? \["((?:[^"\\]|\\.)*)"', js)
    return ({re.sub(r"\s+", " ", html.unescape(inner)).strip() for _, inner in marked} | labels | set(status)
            | set(re.findall(r'\bt\("((?:[^"\\]|\\.)*)"', js)))


def test_every_message_has_its_chinese_form_and_every_chinese_form_is_used():
    used = messages_in_the_code() | messages_of_the_derivations() | messages_of_the_page()
    assert used, "no message found"
    missing = sorted(used - set(i18n.ZH))
    unused = sorted(set(i18n.ZH) - used)
    assert missing == [], f"messages without a Chinese form: {missing}"
    assert unused == [], f"Chinese messages nothing uses: {unused}"


def test_chinese_messages_keep_the_fields_and_use_the_posts_terms():
    for en, zh in i18n.ZH.items():
        fields = lambda s: sorted(re.findall(r"\{([^{}]*)\}", s))  # noqa: E731
        assert fields(en) == fields(zh), en
    text = " ".join(i18n.ZH.values())
    for term in ("交叉熵代价函数", "二次代价函数", "学习速率", "饱和"):
        assert term in text, term
    with i18n.language("zh"):
        assert i18n.tr("{cost} cost", cost=i18n.tr("quadratic")) == "二次代价函数"
        assert i18n.tr("not in the catalogue") == "not in the catalogue"
    assert i18n.tr("{cost} cost", cost="quadratic") == "quadratic cost"
    with pytest.raises(ValueError, match="language must be one of: en, zh"):
        with i18n.language("fr"):
            pass


@pytest.mark.parametrize("label, pieces", [
    ("Chain rule: d/du u^-1 = -u^-2, with u = 1 + e^-z",
     [("text", "Chain rule: "), ("math", "d/du u^-1 = -u^-2"), ("text", ", with "), ("math", "u = 1 + e^-z")]),
    ("Over a common denominator", [("text", "Over a common denominator")]),
    ("Differentiate the cost with respect to the output a",
     [("text", "Differentiate the cost with respect to the output "), ("math", "a")]),
    ("The activation (sigmoid)", [("text", "The activation (sigmoid)")]),
    ("Run `costlab derive matching` here", [("text", "Run "), ("code", "costlab derive matching"), ("text", " here")]),
])
def test_labels_split_into_words_and_formulas(label, pieces):
    assert split(label) == pieces


def test_formulas_become_latex():
    assert to_latex("sigma'(z) = a*(1 - a)") == r"\sigma'(z) = a(1 - a)"
    assert to_latex("dC/db = a - y") == r"\partial C/\partial b = a - y"
    assert to_latex("z -> +oo") == r"z \to  +\infty"
    assert latex_text("With a = sigma(z) & 100%") == r"With $a = \sigma(z)$ \& 100\%"


REFUSED = [  # the page's bad values, and the Chinese report's bad options
    ({"eta": "-1"}, "neuron"), ({"eta": "abc"}, "neuron"), ({"epochs": "2.5"}, "neuron"), ({"w": "99"}, "neuron"),
    ({"foo": "1"}, "neuron"), ({"costs": "foo"}, "neuron"), ({"costs": "a**"}, "neuron"),
    ({"costs": "log-likelihood"}, "neuron"), ({"costs": "(a-y)**2/2 + z"}, "neuron"), ({"b": "1", "a0": "0.5"}, "neuron"),
    ({"costs": "focal(gamma=-1)"}, "neuron"), ({"costs": "focal(beta=1)"}, "neuron"), ({"hidden": "1000"}, "train"),
    ({"costs": "quadratic"}, "train"), ({"init": "big"}, "train"), ({"activations": "foo"}, "layers"),
    ({"costs": "quadratic,quadratic"}, "layers"), ({"activations": ""}, "layers"), ({"depth": "9"}, "layers"),
]


@pytest.mark.parametrize("params, kind", REFUSED)
def test_refusals_in_chinese(params, kind):
    """Every refusal of the page's API, in Chinese: Chinese words around the names users type."""
    from zhtext import KEPT, TYPED, latin_words

    from costlab.web import api

    check = {"neuron": api.check_neuron_params, "train": api.check_train_params, "layers": api.check_layers_params}[kind]
    with pytest.raises(api.ApiError) as e:
        check(params)
    with i18n.language("zh"):
        said = i18n.tr_refusal(e.value.message)
    assert re.search(r"[\u4e00-\u9fff]", said), said
    # the names users type (costs, parameters, the formula's functions) are quoted as typed; nothing else is Latin
    allowed = TYPED | set(re.findall(r"'([^']*)'", said)) | {"import", "Abs", "E", "ln", "exp", "log", "tanh", "cos",
                                                              "sin", "max", "min", "beta", "foo", "big"}
    allowed |= {*api.NEURON_LIMITS, *api.TRAIN_LIMITS, *api.LAYERS_LIMITS, "costs", "init", "activations"}  # URL keys
    assert latin_words(re.sub(r"'[^']*'", " ", said), kept=allowed | KEPT) == [], said
    with i18n.language("en"):
        assert i18n.tr_refusal(e.value.message) == e.value.message


@pytest.mark.parametrize("args, expected", [
    (["--map-points", "1"], "全景图的格点数 --map-points 必须是 [2, 1001] 内的整数，而输入的是 1"),
    (["--out", "x.txt"], "输出路径 --out 必须以 .html、.htm 结尾，而输入的是 'x.txt'"),
    (["--data", "fashion"], "数据 --data 的值无效：'fashion' 不是 'digits'、'none' 之一"),
])
def test_the_chinese_reports_bad_options_are_refused_in_chinese(args, expected):
    from clitools import run_main

    code, out, err = run_main("report", "--lang", "zh", *args)
    assert code == 2 and out == ""
    assert err.strip() == f"costlab report：错误：{expected}"
    code, _, err = run_main("report", *args)  # in English without --lang zh
    assert code == 2 and err.startswith("costlab report: error: ")
