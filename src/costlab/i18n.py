"""The words costlab shows, in English and in Chinese: one catalogue for the report, the figures and the page.

Messages are written in English in the code, as ``tr("cost C against epoch")``
or with named fields, ``tr("start a = {a0:.2f}", a0=a0)``; :data:`ZH` maps each
English message to its Chinese form, with the same fields. :func:`language`
chooses the language for the code it wraps (a context variable, so threads
and the web server's requests do not share it). The page reads the same
catalogue from ``/api/messages``. The tests check that every message used in
the code has its Chinese form and that the catalogue holds nothing unused.

The terms follow the blog post: 交叉熵代价函数 (the cross-entropy cost),
二次代价函数 (the quadratic cost), 学习速率 (the learning rate), 饱和 (saturated).
"""

from __future__ import annotations

import contextvars
from contextlib import contextmanager

__all__ = ["LANGUAGES", "ZH", "catalogue", "current", "language", "tr"]

#: Languages costlab speaks, with the value of HTML's ``lang`` attribute.
LANGUAGES = {"en": "en", "zh": "zh-CN"}

_LANG: contextvars.ContextVar[str] = contextvars.ContextVar("costlab_language", default="en")


def current() -> str:
    """The language in use ("en" or "zh")."""
    return _LANG.get()


@contextmanager
def language(lang: str):
    """Use ``lang`` ("en" or "zh") for every :func:`tr` inside the ``with`` block."""
    if lang not in LANGUAGES:
        raise ValueError(f"language must be one of: {', '.join(LANGUAGES)}; got {lang!r}")
    token = _LANG.set(lang)
    try:
        yield lang
    finally:
        _LANG.reset(token)


def tr(message: str, /, **fields) -> str:
    """``message`` in the current language, its ``{fields}`` filled in."""
    text = ZH.get(message, message) if _LANG.get() == "zh" else message
    return text.format(**fields) if fields else text


def catalogue(lang: str) -> dict[str, str]:
    """English message -> its form in ``lang`` (the identity for English)."""
    return {k: (v if lang == "zh" else k) for k, v in ZH.items()}


# The cost names as the blog post writes them.
_Q, _CE, _LL = "二次代价函数", "交叉熵代价函数", "对数似然代价函数"

#: English message -> Chinese.
ZH: dict[str, str] = {
    # cost names and short words
    "quadratic": "二次", "cross-entropy": "交叉熵", "log-likelihood": "对数似然",
    "{cost} cost": "{cost}代价函数",
    "epoch": "训练轮次 (epoch)",
    "cost C": "代价 C",
    "output a": "输出 a",
    "never": "从未",
    # figures of the single neuron
    "start a = {a0:.2f} (w = {w:g}, b = {b:g})": "起点 a = {a0:.2f}（w = {w:g}，b = {b:g}）",
    "cost relative to epoch 0, C / C(0)": "相对第 0 轮的代价 C / C(0)",
    "target y = {y:g}": "目标 y = {y:g}",
    "tangent at {start}": "{start} 处的切线",
    "weighted input z = w x + b": "带权输入 z = w x + b",
    "output a = $\\sigma(z)$": "输出 a = $\\sigma(z)$",
    "slope $\\sigma'(z)$": "斜率 $\\sigma'(z)$",
    "output a (target y = {y:g})": "输出 a（目标 y = {y:g}）",
    "gradient size $|\\partial C/\\partial b|$": "梯度大小 $|\\partial C/\\partial b|$",
    "output a against epoch": "输出 a 随训练轮次的变化",
    "{cost} cost C against epoch": "{cost}代价函数的代价 C 随训练轮次的变化",
    "Sigmoid neuron, {cost} cost, {start}; {settings}": "S 型神经元，{cost}代价函数，{start}；{settings}",
    "Cost against epoch for each start and cost ({settings})": "每个起点和每个代价函数的代价随训练轮次的变化（{settings}）",
    "{start}, {cost} cost": "{start}，{cost}代价函数",
    "How fast each run learns: C / C(0) against epoch ({settings})":
        "每次训练学得多快：C / C(0) 随训练轮次的变化（{settings}）",
    "Output a against epoch ({settings})": "输出 a 随训练轮次的变化（{settings}）",
    "Each start on the sigmoid, with its tangent": "S 型函数上的每个起点及其切线",
    "The slope $\\sigma'(z)$: the factor in every quadratic-cost gradient":
        "斜率 $\\sigma'(z)$：二次代价函数每个梯度中的因子",
    "Why the quadratic cost stalls: the bias gradient against the output": "二次代价函数为何停滞：偏置梯度与输出的关系",
    # the map
    "{cost}: {share:.0%} of starts reach the target": "{cost}：{share:.0%} 的起点达到目标",
    "initial weight w": "初始权重 w",
    "initial bias b": "初始偏置 b",
    "first epoch at the target": "首次达到目标的轮次",
    "grey: not within {epochs} epochs": "灰色：{epochs} 轮内未达到",
    "initial output a0 (target: |a - y| <= {tol:g}, y = {y:g})": "初始输出 a0（目标：|a - y| <= {tol:g}，y = {y:g}）",
    "The same against a0 alone (gaps: never)": "同一结果只对 a0 作图（空缺：从未达到）",
    "How long the sigmoid neuron takes to reach a = {target:g} from each start ({settings})":
        "S 型神经元从每个起点到达 a = {target:g} 需要多久（{settings}）",
    # comparisons on data
    "test accuracy (%)": "测试准确率 (%)",
    "test cost C / C(0) (each cost on its own scale)": "测试代价 C / C(0)（各代价函数刻度不同）",
    "init = {init} (w ~ N(0, 1): saturated sigmoids)": "初始化 = {init}（w ~ N(0, 1)：S 型神经元饱和）",
    "init = {init} (w ~ N(0, 1/n_in))": "初始化 = {init}（w ~ N(0, 1/n_in)）",
    "Test accuracy": "测试准确率",
    "Test cost relative to epoch 0": "相对第 0 轮的测试代价",
    "{what} per epoch on {data}, {sizes}, batch {batch}: mean and spread over {n} random seeds":
        "{data} 上每轮的{what}，网络 {sizes}，批大小 {batch}：{n} 个随机种子的均值与离散范围",
}
