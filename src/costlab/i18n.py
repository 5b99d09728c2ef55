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
import re
from contextlib import contextmanager

__all__ = ["LANGUAGES", "REFUSALS", "ZH", "catalogue", "current", "language", "spaced", "tr", "tr_refusal"]

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
    """``message`` in the current language, its ``{fields}`` filled in.

    In Chinese, a Latin letter and a Han character that meet get a space between them
    (「ReLU 隐藏层」, 「S 型」), as Chinese typesetting sets Latin words apart.
    """
    if _LANG.get() != "zh":
        return message.format(**fields) if fields else message
    text = ZH.get(message, message)
    return spaced(text.format(**fields) if fields else text)


_LATIN_HAN = re.compile(r"(?<=[A-Za-z])(?=[\u4e00-\u9fff])|(?<=[\u4e00-\u9fff])(?=[A-Za-z])")


def spaced(text: str) -> str:
    """A space wherever a Latin letter and a Han character meet."""
    return _LATIN_HAN.sub(" ", text)


def catalogue(lang: str) -> dict[str, str]:
    """English message -> its form in ``lang`` (the identity for English)."""
    return {k: (v if lang == "zh" else k) for k, v in ZH.items()}


def tr_refusal(message: str, /) -> str:
    """A refusal of bad input (a ``ValueError``'s one line) in the current language.

    The checks of numbers, costs and requests write their refusals in English
    from a few patterns (``eta must be a number in (0, 100], got -1``);
    :data:`REFUSALS` gives each pattern's Chinese form, and the parts a pattern
    captures are translated in turn (a parameter's name becomes the name of
    its control; what the user typed is kept as typed). A refusal that matches
    no pattern is returned unchanged.
    """
    if _LANG.get() != "zh":
        return message
    return re.sub(r" +(?=[：，；。）])", "", spaced(_refusal_zh(message.strip())))


def _refusal_zh(text: str) -> str:
    for pattern, zh in REFUSALS:
        m = re.fullmatch(pattern, text, re.S)
        if m:
            parts = {k: _part_zh(k, v) for k, v in m.groupdict().items()}
            return zh.format(**parts)
    return text


def _part_zh(kind: str, value: str) -> str:
    if kind == "name":  # a space between a name that ends in a Latin or Greek letter and the Chinese after it
        name = _NAMES_ZH.get(value, value)
        return name + " " if not re.search(r"[\u4e00-\u9fff]$", name) else name
    if kind == "want":
        return _want_zh(value)
    if kind in ("rest", "why"):
        return _refusal_zh(value)
    if kind == "cost":
        return ZH.get(value, value)
    if kind == "activation":
        return ZH.get(value, value)
    if kind == "list":
        return value.replace(" or ", "、").replace(", ", "、")
    if kind == "kind":
        return {"SyntaxError": "语法错误", "TokenError": "语法错误"}.get(value, "无法解析")
    return value


def _want_zh(want: str) -> str:
    m = re.fullmatch(r"(a number|a whole number|a finite number)(?: (.+))?", want)
    if not m:
        op, _, bound = want.partition(" ")
        return {">": f"大于 {bound}", ">=": f"不小于 {bound}", "<": f"小于 {bound}", "<=": f"不大于 {bound}"}.get(op, want)
    kind = {"a number": "数", "a whole number": "整数", "a finite number": "有限的数"}[m.group(1)]
    limits = m.group(2)
    if not limits:
        return kind
    if limits.startswith("in "):
        return f" {limits[3:]} 内的{kind}"
    op, _, bound = limits.partition(" ")
    return {">": f"大于 {bound} 的{kind}", ">=": f"不小于 {bound} 的{kind}",
            "<": f"小于 {bound} 的{kind}", "<=": f"不大于 {bound} 的{kind}"}.get(op, want)


#: A parameter's name (as the API and the command line spell it) -> its control's name in Chinese.
_NAMES_ZH = {
    "w": "初始权重 w", "b": "初始偏置 b", "a0": "初始输出值 a0", "x": "输入 x", "y": "实际值 y",
    "eta": "学习速率 η", "epochs": "迭代次数", "hidden": "隐藏神经元数", "batch_size": "批大小",
    "seed": "随机种子", "pace": "每次迭代至少的毫秒数", "depth": "隐藏层数", "costs": "代价函数",
    "init": "初始权重", "activations": "激活函数", "activation": "激活函数", "cost": "代价函数",
    "--eta": "学习速率 --eta", "--epochs": "迭代次数 --epochs", "--w": "初始权重 --w", "--b": "初始偏置 --b",
    "--x": "输入 --x", "--y": "实际值 --y", "--out": "输出路径 --out", "--data": "数据 --data",
    "n": "点数", "noise": "噪声 (%)", "ratio": "训练点 (%)", "batch": "批大小", "l2": "L2 正则化 λ",
    "momentum": "动量 μ", "probe": "所示的训练点", "--map-points": "全景图的格点数 --map-points", "--costs": "代价函数 --costs", "--lang": "语言 --lang",
}

#: Refusals of bad input: an English pattern (a regular expression with named parts) -> Chinese.
REFUSALS: list[tuple[str, str]] = [
    (r"(?P<name>\S+) must be (?P<want>a (?:whole |finite )?number(?: in [\[(][^\])]*[\])]| [<>]=? \S+)?), got (?P<got>.+)", "{name}必须是{want}，而输入的是 {got}"),
    (r"(?P<name>\S+) must be (?P<want>[<>]=? \S+), got (?P<got>.+)", "{name}必须{want}，而输入的是 {got}"),
    (r"(?P<name>\S+) is too long \((?P<n>\d+) characters\); it must be (?P<want>.+)", "{name}太长（{n} 个字符）；它必须是{want}"),
    (r"(?P<name>\S+) is too long \((?P<n>\d+) characters\)", "{name}太长（{n} 个字符）"),
    (r"unknown parameter (?P<p>'[^']*'); known parameters: (?P<list>.+)", "未知参数 {p}；已知的参数：{list}"),
    (r"give the start as b or as a0, not both", "起点只能用 b 或 a0 中的一个给出，不能两个都给"),
    (r"a0 = (?P<a0>\S+) with w = (?P<w>\S+) and x = (?P<x>\S+) needs b = (?P<b>\S+), outside \[-50, 50\]",
     "a0 = {a0}、w = {w}、x = {x} 需要 b = {b}，超出了 [-50, 50]"),
    (r"unknown cost (?P<c>'[^']*'); choose one of: (?P<list>.+), with parameters in parentheses, or a formula in a and y",
     "未知的代价函数 {c}；请从 {list} 中选择（可在括号中给出参数），或写一个关于 a 和 y 的公式"),
    (r"cost (?P<c>'.*') is neither one of (?P<list>.+) \(with parameters in parentheses\) nor a formula in a and y: (?P<why>.+)",
     "代价函数 {c} 既不是 {list} 之一（可在括号中给出参数），也不是关于 a 和 y 的公式：{why}"),
    (r"not a formula in a and y: (?P<f>'.*') \((?P<kind>\w+)\)", "不是关于 a 和 y 的公式：{f}（{kind}）"),
    (r"unknown name (?P<n>'[^']*') in the formula; allowed: (?P<list>.+)", "公式中有未知的名字 {n}；允许的名字：{list}"),
    (r"the (?P<cost>\S+) cost does not fit a (?P<activation>\w+) output", "{cost}代价函数不适用于 {activation}输出"),
    (r"(?P<name>\S+) must name exactly (?P<n>\d+) costs; got (?P<m>\d+)", "{name}必须恰好给出 {n} 个，而给出了 {m} 个"),
    (r"(?P<name>\S+) must name (?P<lo>\d+) to (?P<hi>\d+) costs; got (?P<m>\d+)", "{name}必须给出 {lo} 到 {hi} 个，而给出了 {m} 个"),
    (r"(?P<name>\S+) must name exactly (?P<n>\d+) of: (?P<list>.+); got (?P<m>\d+)", "{name}必须从 {list} 中恰好选 {n} 个，而选了 {m} 个"),
    (r"(?P<name>\S+) must name (?P<lo>\d+) to (?P<hi>\d+) of: (?P<list>.+); got (?P<m>\d+)",
     "{name}必须从 {list} 中选 {lo} 到 {hi} 个，而选了 {m} 个"),
    (r"(?P<name>\S+) must be one of: (?P<list>.+); got (?P<got>.+)", "{name}必须是 {list} 之一，而输入的是 {got}"),
    (r"unknown (?P<name>\w+) (?P<v>'[^']*') in \w+; choose from: (?P<list>.+)", "未知的{name} {v}；请从 {list} 中选择"),
    (r"(?P<name>\S+) names the same one twice: (?P<list>.+)", "{name}中有重复：{list}"),
    (r"(?P<c>\S+) has no parameter (?P<p>'[^']*') \(its parameters: (?P<list>.+)\)", "{c} 没有参数 {p}（它的参数：{list}）"),
    (r"the server is busy with other computations; try again", "服务器正忙于其他计算；请稍后再试"),
    (r"no training (?P<id>'[^']*') of yours is running", "没有你的训练 {id} 在运行"),
    (r"time limit of (?P<s>\S+) s reached", "已达到 {s} 秒的时间上限"),
    (r"the server is shutting down", "服务器正在关闭"),
    (r"stopped", "已停止"),
    (r"(?P<name>\S+) cannot be written: (?P<path>.+) \(no directory (?P<dir>.+)\)", "{name}无法写入：{path}（没有目录 {dir}）"),
    (r"(?P<name>\S+) cannot be written: (?P<path>.+) \((?P<why>.+)\)", "{name}无法写入：{path}（{why}）"),
    (r"(?P<name>\S+) must end in (?P<list>.+), got (?P<got>.+)", "{name}必须以 {list} 结尾，而输入的是 {got}"),
    (r"Invalid value for '(?P<name>[^']+)': (?P<got>'[^']*') is not one of (?P<list>.+)\.",
     "{name}的值无效：{got} 不是 {list} 之一"),
    (r"No such option '(?P<opt>[^']+)'\.(?: Did you mean '(?P<alt>[^']+)'\?)?", "没有选项 {opt}"),
    (r"Option '(?P<opt>[^']+)' requires an argument\.", "选项 {opt} 需要一个值"),
    (r"(?P<name>[\w-]+): (?P<rest>.+)", "{name}：{rest}"),
]

# The cost names as the blog post writes them.
_Q, _CE, _LL = "二次代价函数", "交叉熵代价函数", "对数似然代价函数"

#: English message -> Chinese.
ZH: dict[str, str] = {
    # cost names and short words
    "quadratic": "二次", "cross-entropy": "交叉熵", "log-likelihood": "对数似然",
    "{cost} cost": "{cost}代价函数",
    "epoch": "迭代次数",
    "cost C": "代价 C",
    "output a": "输出 a",
    "never": "从未",
    "{epochs} epochs": "{epochs} 次迭代",
    # figures of the single neuron
    "start a = {a0:.2f} (w = {w:g}, b = {b:g})": "起点 a = {a0:.2f}（w = {w:g}，b = {b:g}）",
    "cost relative to epoch 0, C / C(0)": "相对初始代价的比值 C / C(0)",
    "target y = {y:g}": "目标 y = {y:g}",
    "tangent at {start}": "{start} 处的切线",
    "weighted input z = w x + b": "带权输入 z = w x + b",
    "output a = $\\sigma(z)$": "输出 a = σ(z)",
    "slope $\\sigma'(z)$": "斜率 σ′(z)",
    "output a (target y = {y:g})": "输出 a（目标 y = {y:g}）",
    "gradient size $|\\partial C/\\partial b|$": "梯度大小 |∂C/∂b|",
    "output a against epoch": "输出 a 随迭代次数的变化",
    "{cost} cost C against epoch": "{cost}代价函数的代价 C 随迭代次数的变化",
    "Sigmoid neuron, {cost} cost, {start}; {settings}": "S 型神经元，{cost}代价函数，{start}；{settings}",
    "Cost against epoch for each start and cost ({settings})": "每个起点和每个代价函数的代价随迭代次数的变化（{settings}）",
    "{start}, {cost} cost": "{start}，{cost}代价函数",
    "How fast each run learns: C / C(0) against epoch ({settings})":
        "每次训练学得多快：C / C(0) 随迭代次数的变化（{settings}）",
    "Output a against epoch ({settings})": "输出 a 随迭代次数的变化（{settings}）",
    "Each start on the sigmoid, with its tangent": "S 型函数上的每个起点及其切线",
    "The slope $\\sigma'(z)$: the factor in every quadratic-cost gradient":
        "斜率 σ′(z)：二次代价函数每个梯度中的因子",
    "Why the quadratic cost stalls: the bias gradient against the output": "二次代价函数为何停滞：偏置梯度与输出的关系",
    # the map
    "{cost}: {share:.0%} of starts reach the target": "{cost}代价函数：{share:.0%} 的起点达到目标",
    "initial weight w": "初始权重 w",
    "initial bias b": "初始偏置 b",
    "first epoch at the target": "首次达到目标的迭代次数",
    "grey: not within {epochs} epochs": "灰色：{epochs} 次迭代内未达到",
    "initial output a0 (target: |a - y| ≤ {tol:g}, y = {y:g})": "初始输出 a0（目标：|a - y| ≤ {tol:g}，y = {y:g}）",
    "The same against a0 alone (gaps: never)": "同一结果只对 a0 作图（空缺：从未达到）",
    "How long the sigmoid neuron takes to reach a = {target:g} from each start ({settings})":
        "S 型神经元从每个起点到达 a = {target:g} 需要多久（{settings}）",
    # comparisons on data
    "test accuracy (%)": "测试准确率 (%)",
    "test cost C / C(0) (each cost on its own scale)": "测试代价 C / C(0)（各代价函数刻度不同）",
    "Test accuracy": "测试准确率",
    "Test cost relative to epoch 0": "相对初始值的测试代价",
    # the report
    "Why cross-entropy: the learning slowdown of the quadratic cost": "为什么用交叉熵：二次代价函数的学习缓慢",
    "costlab report": "costlab 报告",
    "A costlab {version} report. Every number and figure below was computed by costlab on the machine that wrote this file; the page loads nothing from anywhere.":
        "costlab {version} 生成的报告。下面的每个数字和图都由 costlab 在写出本文件的机器上算出；本页面不从任何地方加载内容。",
    "A sigmoid neuron trained with the quadratic cost learns slowest when it is most wrong, because every gradient carries the slope of the sigmoid, which is tiny on its flat ends. The cross-entropy cost cancels that factor: its gradient is the error itself. This report retells that argument, from a blog post on the cross-entropy cost that follows Nielsen's experiment (<i>Neural Networks and Deep Learning</i>, chapter 3), with costlab's own runs, derivations and measurements.":
        "用二次代价函数训练的 S 型神经元，在错得最厉害时学得最慢：每个梯度都带有 S 型函数的斜率，而它在两端平坦处非常小。"
        "交叉熵代价函数消去了这个因子：它的梯度就是误差本身。本报告用 costlab 自己的训练、推导和测量，复述一篇关于交叉熵代价函数的博客文章中的论证；"
        "该文沿用 Nielsen 的实验（《Neural Networks and Deep Learning》第 3 章）。",
    "Contents": "目录",
    "Made with {command}. The same results on the command line: {commands}; interactively: {serve}.":
        "由 {command} 生成。命令行上的相同结果：{commands}；交互式页面：{serve}。",
    "The experiment: two starts, two costs": "实验：两个起点，两个代价函数",
    "One sigmoid neuron, <i>a</i> = &sigma;(<i>w x</i> + <i>b</i>), gets one input <i>x</i> = {x:g} and should output <i>y</i> = {y:g}. It is trained by plain gradient descent, learning rate &eta; = {eta:g}, for {E} epochs (one step each), from two starts: <i>w</i> = 0.6, <i>b</i> = 0.9 (output 0.82) and <i>w</i> = 2, <i>b</i> = 2 (output 0.98), once with the quadratic cost and once with the cross-entropy, both with their true gradients.":
        "一个 S 型神经元 <i>a</i> = &sigma;(<i>w x</i> + <i>b</i>)，输入 <i>x</i> = {x:g}，实际值应为 <i>y</i> = {y:g}。"
        "它用普通的梯度下降训练，学习速率 &eta; = {eta:g}，共 {E} 次迭代（每次一步），从两个起点出发："
        "<i>w</i> = 0.6，<i>b</i> = 0.9（输出值 0.82）和 <i>w</i> = 2，<i>b</i> = 2（输出值 0.98），"
        "分别用二次代价函数和交叉熵代价函数训练，都用各自真实的梯度。",
    "start a0": "起点 a0",
    "cost": "代价函数",
    "first a < 0.5": "首次 a < 0.5",
    "The four runs of the blog post's experiment, as costlab trains them.": "博客文章实验的四次训练，由 costlab 完成。",
    "With the quadratic cost the neuron that starts <em>more</em> wrong learns <em>slower</em>: from 0.98 its output first falls below 0.5 at epoch {sq} and is still {slow_end:.2f} after {E} epochs, while from 0.82 it is below 0.5 after {fq} epochs and ends at {fast_end:.3f}. With the cross-entropy both starts learn fast: below 0.5 after {fce} and {sce} epochs, and about {ce_end:.3f} after {E}.":
        "用二次代价函数时，起点错得<em>越多</em>，神经元学得<em>越慢</em>：从 0.98 出发，输出值在第 {sq} 次迭代才首次低于 0.5，"
        "{E} 次迭代后仍为 {slow_end:.2f}；而从 0.82 出发，{fq} 次迭代后就低于 0.5，最终为 {fast_end:.3f}。"
        "用交叉熵代价函数时两个起点都学得很快：分别在 {fce} 和 {sce} 次迭代后低于 0.5，{E} 次迭代后约为 {ce_end:.3f}。",
    "output a against epoch for all four runs": "四次训练的输出 a 随迭代次数的变化",
    "cost C against epoch, one panel per start and cost": "代价 C 随迭代次数的变化，每个起点和代价函数一幅",
    "Output <i>a</i> against epoch for the four runs: colour is the cost, line style the start.":
        "四次训练的输出 <i>a</i> 随迭代次数的变化：颜色表示代价函数，线型表示起点。",
    "Cost against epoch, one panel per start (rows) and cost (columns), each on its own scale: the quadratic cost from 0.98 stays flat for about two hundred epochs.":
        "代价随迭代次数的变化，每个起点（行）和代价函数（列）一幅，各自的刻度不同：从 0.98 出发的二次代价函数在约两百次迭代内几乎不变。",
    "The mechanism: the slope of the sigmoid": "机制：S 型函数的斜率",
    "Both gradients of the quadratic cost carry the factor {prime}:": "二次代价函数的两个梯度都带有因子 {prime}：",
    "On the flat ends of the sigmoid that factor is tiny, so a neuron whose output is near 1 while its target is 0, the worst possible start, gets the smallest steps. The cross-entropy's gradients have no such factor:":
        "在 S 型函数两端的平坦处这个因子非常小（神经元饱和），所以输出接近 1 而实际值为 0 的神经元——最差的起点——步子反而最小。交叉熵代价函数的梯度没有这个因子：",
    "The bigger the error, the faster the neuron learns.": "误差越大，神经元学得越快。",
    "the sigmoid with both starts and their slopes": "S 型函数及两个起点处的斜率",
    "bias gradient against output for both costs": "两个代价函数的偏置梯度与输出值的关系",
    "slope": "斜率",
    "ratio": "比值",
    "At the two starts: the slope and the size of the bias gradient under each cost.": "两个起点处：斜率，以及每个代价函数下偏置梯度的大小。",
    "The sigmoid with each start and its tangent (top), and the slope {prime} (bottom): 0.149 at <i>z</i> = 1.5, 0.0177 at <i>z</i> = 4.":
        "S 型函数上的每个起点及其切线（上），以及斜率 {prime}（下）：在 <i>z</i> = 1.5 处为 0.149，在 <i>z</i> = 4 处为 0.0177。",
    "|&part;<i>C</i>/&part;<i>b</i>| against the output <i>a</i> for target <i>y</i> = 0 (log scale): the quadratic cost's gradient vanishes as <i>a</i> &rarr; 1, the cross-entropy's grows.":
        "实际值 <i>y</i> = 0 时 |&part;<i>C</i>/&part;<i>b</i>| 与输出 <i>a</i> 的关系（对数刻度）：当 <i>a</i> &rarr; 1 时二次代价函数的梯度趋于 0，交叉熵代价函数的梯度反而变大。",
    "The derivations": "推导",
    "Every step below is done by SymPy in <code>costlab derive</code> (and checked there); the equations are its LaTeX, typeset here by matplotlib's mathtext.":
        "下面每一步都由 <code>costlab derive</code> 中的 SymPy 完成（并在那里检验）；公式是它输出的 LaTeX，由 matplotlib 的 mathtext 排版。",
    "The map of the slowdown: every start": "学习缓慢的全景图：所有起点",
    "The blog post shows two starts. Here are {n:,} of them: <i>w</i> and <i>b</i> each from {lo:g} to {hi:g} ({k} values), each trained for {epochs} epochs at &eta; = {eta:g}, all of one cost at once as one group of networks. The colour is the first epoch at which the output is within {tol:g} of the target <i>y</i> = {y:g}; grey means not within {epochs} epochs. With <i>x</i> = 1 the time depends on the start only through <i>a</i><sub>0</sub> = &sigma;(<i>w</i> + <i>b</i>): the diagonal bands, and the curve below.":
        "博客文章展示了两个起点。这里有 {n:,} 个：<i>w</i> 和 <i>b</i> 各从 {lo:g} 到 {hi:g}（{k} 个值），每个以学习速率 &eta; = {eta:g} 训练 {epochs} 次迭代，"
        "同一代价函数的所有起点作为一组网络同时训练。颜色表示输出值首次与实际值 <i>y</i> = {y:g} 相差不超过 {tol:g} 的迭代次数；灰色表示 {epochs} 次迭代内未达到。"
        "当 <i>x</i> = 1 时，所需时间只通过 <i>a</i><sub>0</sub> = &sigma;(<i>w</i> + <i>b</i>) 依赖于起点：图中的斜带，以及下面的曲线。",
    "starts that reach the target": "达到目标的起点",
    "slowest start": "最慢的起点",
    "its first epoch at the target": "它首次达到目标的迭代次数",
    "Over all {n:,} starts.": "在全部 {n:,} 个起点上。",
    "first epoch at the target from every start, per cost": "每个起点首次达到目标的迭代次数，每个代价函数一幅",
    "first epoch at the target against the initial output": "首次达到目标的迭代次数与初始输出值的关系",
    "First epoch at the target from each start (<i>w</i>, <i>b</i>), one panel per cost on one colour scale, the blog post's two starts marked.":
        "每个起点（<i>w</i>，<i>b</i>）首次达到目标的迭代次数，每个代价函数一幅，使用同一色标，并标出博客文章的两个起点。",
    "The same against the initial output <i>a</i><sub>0</sub> alone; the dotted lines are the blog post's two starts.":
        "同一结果只对初始输出值 <i>a</i><sub>0</sub> 作图；虚线是博客文章的两个起点。",
    "Inside the network: each layer's speed of learning": "网络内部：每一层的学习速率",
    "Inside the network": "网络<wbr>内部",
    "speed of learning of each layer": "每一层的学习速率",
    "hidden {l}": "隐藏层 {l}",
    "output": "输出层",
    "activation": "激活函数",
    "first / last hidden": "第一 / 最后隐藏层",
    "test accuracy, epoch {epochs}": "测试准确率，第 {epochs} 次迭代",
    "In the sigmoid networks the first hidden layer learns {lo} to {hi} times slower than the last at the start.":
        "在 S 型网络中，训练开始时第一个隐藏层的学习速率比最后一个慢 {lo} 到 {hi} 倍。",
    "The factor &sigma;'(z) at the output is, in a deep network, multiplied in once more at every layer on the way back. Nielsen's chapter 5 measures each layer's speed of learning as the length of its bias gradient ||&nabla;b<sup>l</sup>||. Here networks [{sizes}] on {data}, &eta; = {eta}, batch {batch}, every (cost, activation) from the same initial weights and batch order.":
        "输出层的因子 &sigma;'(z) 在深层网络中反向传播时每经过一层就再乘一次。Nielsen 第五章用每一层偏置梯度的长度 ||&nabla;b<sup>l</sup>|| 衡量该层的学习速率。这里是在 {data} 上的网络 [{sizes}]，&eta; = {eta}，小批量 {batch}，每组（代价函数，激活函数）都从相同的初始权重和相同的批次顺序开始。",
    "The cross-entropy removes &sigma;'(z) at the output only, so it scales every layer up but leaves their ratio; ReLU, whose slope is 1 where it is active, narrows the gap.":
        "交叉熵代价函数只去掉输出层的 &sigma;'(z)，因此它让每一层都变快，但不改变它们之间的比例；ReLU 在激活处斜率为 1，缩小了这个差距。",
    "||&nabla;b|| per layer before training (the exact gradient over the training data).":
        "训练前每一层的 ||&nabla;b||（在训练数据上精确计算的梯度）。",
    "Speed of learning of each layer against epoch (log scale, top) and the saturated (sigmoid) or dead (ReLU) fraction of its neurons (below).":
        "每一层的学习速率随迭代次数的变化（对数坐标，上图），以及其神经元中饱和（S 型）或死亡（ReLU）的比例（下图）。",
    "On real data: {data}": "真实数据：{data}",
    "A sigmoid network [{sizes}] learns {data} ({n_train:,} training and {n_test:,} test images), batch {batch}, &eta; = {eta:g}, {epochs} epochs, with each cost from the same initial weights and the same batch order per random seed ({seeds} random seeds: mean &plusmn; standard deviation of the test accuracy).":
        "一个 S 型网络 [{sizes}] 学习 {data}（{n_train:,} 张训练图像，{n_test:,} 张测试图像），批大小 {batch}，学习速率 &eta; = {eta:g}，{epochs} 次迭代；"
        "对每个随机种子，各代价函数从相同的初始权重、按相同的批次顺序训练（{seeds} 个随机种子：测试准确率的均值 &plusmn; 标准差）。",
    "With the <b>large</b> initial weights (<i>w</i> ~ N(0, 1)), whose sigmoids start saturated,":
        "使用<b>大</b>初始权重（<i>w</i> ~ N(0, 1)）时，S 型神经元一开始就饱和，",
    "With the <b>default</b> initial weights (<i>w</i> ~ N(0, 1/<i>n</i><sub>in</sub>)),":
        "使用<b>默认</b>初始权重（<i>w</i> ~ N(0, 1/<i>n</i><sub>in</sub>)）时，",
    "{what} the quadratic cost's network is at {q1:.1f}% after one epoch, the cross-entropy's at {c1:.1f}%; after {epochs} epochs they stand at {qe:.1f}% and {ce:.1f}%.":
        "{what}二次代价函数的网络在一次迭代后为 {q1:.1f}%，交叉熵代价函数的为 {c1:.1f}%；{epochs} 次迭代后分别为 {qe:.1f}% 和 {ce:.1f}%。",
    "init": "初始化",
    "epoch {e}": "第 {e} 次迭代",
    "best (any random seed)": "最佳（任一随机种子）",
    "Test accuracy per epoch, mean &plusmn; standard deviation over random seeds.": "每次迭代的测试准确率，各随机种子的均值 &plusmn; 标准差。",
    "test accuracy per epoch on real data": "真实数据上每次迭代的测试准确率",
    "Test accuracy against epoch, mean (line) and one standard deviation (band) over the random seeds, per initializer; colour is the cost.":
        "测试准确率随迭代次数的变化：各随机种子的均值（线）和一个标准差（带），每种初始化一幅；颜色表示代价函数。",
    # the derivations of costlab derive (their formulas stay as they are)
    "The sigmoid's derivative (the blog post's appendix)": "S 型函数的导数（博客文章的附录）",
    "The quadratic cost's gradients: the factor {0} (the blog post's section 1)": "二次代价函数的梯度：因子 {0}（博客文章第 1 节）",
    "The cross-entropy's gradients: {0} cancels (the blog post's section 2)": "交叉熵代价函数的梯度：{0} 被消去（博客文章第 2 节）",
    "Where the cross-entropy comes from (the blog post's section 3)": "交叉熵代价函数从何而来（博客文章第 3 节）",
    "Definition of the sigmoid": "S 型函数的定义",
    "Differentiate": "求导",
    "Chain rule: {0}, with {1}": "链式法则：{0}，其中 {1}",
    "{0}": "{0}",
    "The two minus signs cancel": "两个负号抵消",
    "Split into two fractions": "拆成两个分式",
    "In the second, {0}": "第二个分式中，{0}",
    "Recognise {0}": "认出 {0}",
    "With {0}": "代入 {0}",
    "{0} is largest where {1}, at {2}, where it is {3}; it tends to 0 as {4} and to 0 as {5}: the flat ends of the sigmoid, where it learns slowly.":
        "{0} 在 {1} 处，即 {2} 处最大，为 {3}；当 {4} 时和当 {5} 时都趋于 0：这是 S 型函数两端的平坦处（饱和），学习在那里很慢。",
    "The neuron's weighted input": "神经元的带权输入",
    "Its output": "它的输出",
    "The activation (sigmoid)": "激活函数（S 型函数）",
    "The quadratic cost of one sample": "一个样本的二次代价函数",
    "The cross-entropy cost of one sample": "一个样本的交叉熵代价函数",
    "Differentiate the cost with respect to the output {0}": "代价对输出 {0} 求导",
    "Differentiate the activation": "激活函数求导",
    "Invert {0}": "求 {0} 的反函数",
    "Put {0} into {1}: written with {2}": "把 {0} 代入 {1}：用 {2} 表示",
    "Chain rule: the output error {0}": "链式法则：输出误差 {0}",
    "Put in {0}, and {1}": "代入 {0}，以及 {1}",
    "Chain rule for the weight: {0}": "权重的链式法则：{0}",
    "The output error times {0}": "输出误差乘以 {0}",
    "Chain rule for the bias: {0}": "偏置的链式法则：{0}",
    "Chain rule for the bias {0}": "偏置的链式法则 {0}",
    "The output error itself": "就是输出误差本身",
    "Over a common denominator": "通分",
    "The factor {0} cancels": "因子 {0} 被消去",
    "Learning slowdown: {0} carries the factor {1}, which tends to 0 as {2} and as {3}: when the output saturates, the gradient is tiny however wrong the output is.":
        "学习缓慢：{0} 带有因子 {1}，当 {2} 以及 {3} 时它趋于 0：输出饱和时，无论输出错得多厉害，梯度都非常小。",
    "No learning slowdown: the factor {0} cancels, so {1}: the gradient is proportional to the error, and the further the output is from y, the faster the neuron learns.":
        "没有学习缓慢：因子 {0} 被消去，所以 {1}：梯度与误差成正比，输出离 y 越远，神经元学得越快。",
    "costlab's numeric engine trains this pair (quadratic with a sigmoid output).": "costlab 的数值引擎可以训练这一组合（二次代价函数配 S 型输出）。",
    "costlab's numeric engine trains this pair (cross-entropy with a sigmoid output).": "costlab 的数值引擎可以训练这一组合（交叉熵代价函数配 S 型输出）。",
    "Ask for {0}, so": "要求 {0}，于是",
    "Divide by {0}": "两边除以 {0}",
    "Partial fractions": "部分分式",
    "Integrate over {0}": "对 {0} 积分",
    "Minus sign outside: the cross-entropy": "把负号提到外面：这就是交叉熵代价函数",
    "Asking for a bias gradient that is just the error {0} forces the cross-entropy; the constant does not change any gradient. {1} chooses it so that {2} when {3}.":
        "要求偏置梯度恰好是误差 {0}，就必然得到交叉熵代价函数；积分常数 K 不改变任何梯度。{1} 选取常数使得 {3} 时 {2}。",
    # the page (costlab serve)
    "· the learning slowdown, live": "· 学习缓慢，实时演示",
    "Why a sigmoid neuron trained with the quadratic cost learns slowest when it is most wrong, and how the cross-entropy fixes it.":
        "为什么用二次代价函数训练的 S 型神经元在错得最厉害时学得最慢，以及交叉熵代价函数如何解决这个问题。",
    "Copy link": "复制链接",
    "Link copied": "链接已复制",
    "Copy this link:": "复制这个链接：",
    "Download this chart as {fmt}": "把这幅图下载为 {fmt}",
    "One neuron": "一个<wbr>神经元",
    "A network on digits": "手写数字<wbr>上的<wbr>网络",
    "; ": "；",
    "Start and settings": "起点与设置",
    "One neuron, a = σ(w x + b), trained by gradient descent on one sample (x, y).":
        "一个神经元 a = σ(w x + b)，在一个样本 (x, y) 上用梯度下降训练。",
    "initial weight <var>w</var>": "初始权重 <var>w</var>",
    "initial bias <var>b</var>": "初始偏置 <var>b</var>",
    "initial output <var>a</var><sub>0</sub>": "初始输出值 <var>a</var><sub>0</sub>",
    "sample and learning": "样本与学习",
    "input <var>x</var>": "输入 <var>x</var>",
    "target <var>y</var>": "实际值 <var>y</var>",
    "learning rate <var>η</var>": "学习速率 <var>η</var>",
    "epochs": "迭代次数",
    "costs to show": "显示的代价函数",
    "your cost": "你的代价函数",
    "Output <var>a</var> against epoch": "输出 <var>a</var> 随迭代次数的变化",
    "Cost relative to its start, <var>C</var> / <var>C</var>(0)":
        "代价相对初始值的比值 <var>C</var> / <var>C</var>(0)",
    "The sigmoid and each neuron's operating point": "S 型函数与每个神经元的工作点",
    "Bias gradient |∂<var>C</var>/∂<var>b</var>| against epoch (log scale)": "偏置梯度 |∂<var>C</var>/∂<var>b</var>| 随迭代次数的变化（对数刻度）",
    "One output's weighted input <var>z</var>: the whole argument in one picture": "一个输出的带权输入 <var>z</var>：一幅图说明全部论证",
    "weighted input <var>z</var>": "带权输入 <var>z</var>",
    "Cost <var>C</var> against <var>z</var>": "代价 <var>C</var> 与 <var>z</var> 的关系",
    "|∂<var>C</var>/∂<var>z</var>| and their ratio 1/σ′(<var>z</var>) (log scale)": "|∂<var>C</var>/∂<var>z</var>| 及其比值 1/σ′(<var>z</var>)（对数刻度）",
    "ratio, cross-entropy / quadratic": "比值，交叉熵 / 二次",
    "With the quadratic cost every gradient carries the slope σ′(<var>z</var>) of the sigmoid, tiny on its flat ends: a neuron that starts confidently wrong (output near 1 for a target 0) barely moves. The cross-entropy's bias gradient is just <var>a</var> − <var>y</var>: the bigger the error, the faster it learns. Every number here is computed by costlab's Python engine.":
        "用二次代价函数时，每个梯度都带有 S 型函数的斜率 σ′(<var>z</var>)，它在两端平坦处（饱和）非常小：一开始就错得很自信的神经元（实际值为 0 而输出接近 1）几乎不动。"
        "交叉熵代价函数的偏置梯度就是 <var>a</var> − <var>y</var>：误差越大，学得越快。这里的每个数字都由 costlab 的 Python 引擎算出。",
    "Two networks, two costs": "两个网络，两个代价函数",
    "Two sigmoid networks, each with its own cost, learn the 8×8 digits (1,347 training, 450 test images) from the same initial weights and batch order:":
        "两个 S 型网络各用一个代价函数，从相同的初始权重、按相同的批次顺序学习 8×8 手写数字（1,347 张训练图像，450 张测试图像）：",
    "first cost": "第一个代价函数",
    "second cost": "第二个代价函数",
    "initial weights": "初始权重",
    "hidden neurons": "隐藏神经元",
    "batch size": "批大小",
    "random seed": "随机种子",
    "ms per epoch (at least)": "每次迭代至少的毫秒数",
    "Train": "训练",
    "Stop": "停止",
    "Accuracy against epoch: test (solid), training (dashed)": "准确率随迭代次数的变化：测试（实线），训练（虚线）",
    "Test cost against epoch (log scale)": "测试代价随迭代次数的变化（对数刻度）",
    "With the large initial weights the hidden and output sigmoids start saturated: the quadratic cost's gradients carry their tiny slopes and its network lags for many epochs, the cross-entropy's does not. The two networks are trained side by side as one group by costlab's engine; each epoch streams to the page as soon as it is computed.":
        "使用大初始权重时，隐藏层和输出层的 S 型神经元一开始就饱和：二次代价函数的梯度带着它们很小的斜率，它的网络会落后许多次迭代，交叉熵代价函数的网络则不会。"
        "两个网络由 costlab 的引擎作为一组并排训练；每次迭代一算完就传到页面上。",
    "costlab · computed by costlab's engine on this machine; no network needed.": "costlab · 由 costlab 的引擎在本机计算；无需联网。",
    "Choose at least one cost.": "请至少选择一个代价函数。",
    "computing…": "计算中…",
    "computed in {ms} ms by costlab's engine": "costlab 引擎用 {ms} 毫秒算完",
    "The server did not answer: {why}": "服务器没有响应：{why}",
    "presets unavailable: {why}": "预设不可用：{why}",
    "costlab: the learning slowdown, live": "costlab：学习缓慢，实时演示",
    "error {status}": "错误 {status}",
    "play the training": "播放训练过程",
    "pause": "暂停",
    "training…": "训练中…",
    "starting…": "启动中…",
    "stopped": "已停止",
    "stopped ({reason})": "已停止（{reason}）",
    "the stream ended": "数据流已结束",
    "epoch {e} of {n} ({s} s)": "第 {e} / {n} 次迭代（{s} 秒）",
    "done: {n} epochs in {s} s": "完成：{n} 次迭代，用时 {s} 秒",
    "{activation}: epoch {e} of {n} ({s} s)": "{activation}：第 {e} / {n} 次迭代（{s} 秒）",
    "done in {s} s": "完成，用时 {s} 秒",
    "large: w ~ N(0, 1), saturated": "大：w ~ N(0, 1)，饱和",
    "default: w ~ N(0, 1/nᵢₙ)": "默认：w ~ N(0, 1/nᵢₙ)",
    "sigmoid": "S 型", "tanh": "tanh", "ReLU": "ReLU",
    "default": "默认", "large": "大",
    "dead": "死亡", "saturated": "饱和",
    "training": "训练", "test": "测试",
    "cost C against epoch": "代价 C 随迭代次数的变化",
    "accuracy against epoch": "准确率随迭代次数的变化",
    "a positive sample": "正样本", "a negative sample": "负样本",
    "positive weight": "正样本权重", "smoothing": "平滑", "class weights": "类别权重", "balanced": "均衡",
    "focal": "焦点", "KL divergence": "KL 散度", "{name} ({parameters})": "{name}（{parameters}）", ", ": "，",
    "{init} initial weights, w ~ N(0, 1): saturated sigmoids": "{init}初始权重，w ~ N(0, 1)：S 型神经元饱和",
    "{init} initial weights, w ~ N(0, {var})": "{init}初始权重，w ~ N(0, {var})",
    "{what} per epoch on {data}, {sizes} network, batch {batch}\nmean (line) and one standard deviation either side (band) over {n} random seeds":
        "{data}上每次迭代的{what}，{sizes} 网络，批大小 {batch}\n{n} 个随机种子的均值（线）与上下各一个标准差（带）",
    "output error": "输出误差",
    "Weighted and focal costs against the cross-entropy: the cost and its output error for one sigmoid output":
        "加权代价函数、焦点代价函数与交叉熵代价函数的比较：一个 S 型输出的代价及其输出误差",
    "{kind} (%)": "{kind}比例 (%)",
    "no neuron saturated or dead in any epoch": "任何一次迭代中都没有饱和或死亡的神经元",
    "saturated (solid)\ndead (dotted), %": "饱和（实线）\n死亡（点线）比例 (%)",
    "{cost} cost, {activation} hidden layers": "{cost}代价函数，{activation}隐藏层",
    "How fast each layer learns: {sizes} network, {settings}, batch {batch}, {init} initial weights":
        "每一层学得多快：{sizes} 网络，{settings}，批大小 {batch}，{init}初始权重",
    ", mean over {n} random seeds": "，{n} 个随机种子的均值",
    "the 8×8 digits": "8×8 手写数字", "Fashion-MNIST": "Fashion-MNIST", "MNIST": "MNIST",
    "Each layer's speed of learning": "每一层的学习速率",
    "Deep networks learn the digits, every (cost, activation) from the same initial weights and batch order. The speed of learning of a layer is the length of its bias gradient ‖∇b‖, its mean over each epoch's samples (Nielsen's chapter 5).":
        "深层网络学习手写数字，每组（代价函数，激活函数）都从相同的初始权重、按相同的批次顺序开始。一层的学习速率是它的偏置梯度的长度 ‖∇b‖，取每次迭代中各样本的平均（Nielsen 第 5 章）。",
    "costs": "代价函数",
    "hidden activations": "隐藏层激活函数",
    "hidden layers": "隐藏层数",
    "neurons per layer": "每层神经元数",
    "Back-propagation multiplies the error by w σ′(z) at every layer, and the sigmoid's slope is at most 1/4: in a sigmoid network the first hidden layer learns slowest. The cross-entropy removes σ′(z) at the output only; ReLU, whose slope is 1 where it is active, narrows the gap. Computed by costlab's engine; each epoch streams in as it is done.":
        "反向传播在每一层都把误差乘以 w σ′(z)，而 S 型函数的斜率至多为 1/4：在 S 型网络中，第一个隐藏层学得最慢。交叉熵代价函数只去掉输出层的 σ′(z)；ReLU 在激活处斜率为 1，缩小了这个差距。由 costlab 的引擎计算；每次迭代一完成就显示出来。",
    "Speed of learning ‖∇b‖ of each layer: {cost} cost, {activation} (log scale)": "每一层的学习速率 ‖∇b‖：{cost}代价函数，{activation}（对数刻度）",
    "speed of learning of each layer, {cost} cost, {activation}": "每一层的学习速率，{cost}代价函数，{activation}",
    # the page's labels for screen readers
    "the blog post's two starts": "博客文章的两个起点",
    "initial weight w (slider)": "初始权重 w（滑块）",
    "initial bias b (slider)": "初始偏置 b（滑块）",
    "initial output a0 (slider)": "初始输出值 a0（滑块）",
    "input x (slider)": "输入 x（滑块）",
    "target y (slider)": "实际值 y（滑块）",
    "learning rate eta (slider)": "学习速率 η（滑块）",
    "epochs (slider)": "迭代次数（滑块）",
    "your cost: focal(gamma=2), cross-entropy(pos_weight=3), or a formula in a and y such as (a - y)**4/4":
        "你的代价函数：一个代价函数的名字（可在括号中给出参数），或关于 a 和 y 的公式，如 (a - y)**4/4",
    "cost C over C(0) against epoch": "C / C(0) 随迭代次数的变化",
    "the sigmoid with the operating points": "S 型函数及其工作点",
    "bias gradient against epoch": "偏置梯度随迭代次数的变化",
    "weighted input z (slider)": "带权输入 z（滑块）",
    "cost against z": "代价与 z 的关系",
    "gradient against z": "梯度与 z 的关系",
    "test cost against epoch": "测试代价随迭代次数的变化",
    "add a hidden layer": "增加一个隐藏层",
    "fewer neurons": "减少神经元", "more neurons": "增加神经元",
    "remove a hidden layer": "去掉一个隐藏层",
    "cost against epoch": "代价随迭代次数的变化",
    "decision boundary": "决策边界",
    "the neuron: input, weight, bias, weighted input, output, cost": "神经元：输入、权重、偏置、带权输入、输出、代价",
    "the output neuron": "输出神经元",
    "The server is shutting down; the computation was not finished.": "服务器正在关闭；计算没有完成。",
    "The server is busy checking other formulas; try again in a moment.": "服务器正忙于检查其他公式；请稍后再试。",
    "the server is shutting down": "服务器正在关闭",
    "the time limit of two minutes was reached": "已达到两分钟的时间上限",
    "from": "起始",
    "first a &lt; 0.5:": "首次 a &lt; 0.5：",
    "target y = {y}": "实际值 y = {y}",
    "a = 0.5": "a = 0.5",
    "start": "起点",
    "{cost} at epoch {e}, with tangent": "{cost}，第 {e} 次迭代，及其切线",
    "{n} epochs": "{n} 次迭代",
    "accuracy (%)": "准确率 (%)",
    "test cost C": "测试代价 C",
    "test accuracy": "测试准确率",
    "best": "最佳",
    "blog post: a0 = {a0}": "博客文章：a0 = {a0}",
    "The neuron at the chosen epoch, under the first cost shown": "所选迭代次数时的神经元（显示的第一个代价函数）",
    # the playground
    "Playground": "游乐场",
    "Data": "数据",
    "Network": "网络",
    "Learning": "学习",
    "data set": "数据集",
    "circle": "圆",
    "exclusive or (XOR)": "异或",
    "two Gaussians": "两团高斯分布",
    "two spirals": "两条螺旋线",
    "above or below a sine curve": "正弦曲线的上方或下方",
    "your points (click the plane)": "你的点（点击平面添加）",
    "a CSV file": "CSV 文件",
    "click adds a point of class": "点击添加的点属于类别",
    "Clear": "清空",
    "CSV file of rows x1,x2,label": "CSV 文件，每行两个坐标和类别（x1,x2,0 或 1）",
    "points": "点数",
    "noise (%)": "噪声 (%)",
    "training points (%)": "训练点 (%)",
    "input features": "输入特征",
    "hidden layers": "隐藏层",
    "layer {l}": "第 {l} 层",
    "neuron {j}": "第 {j} 个神经元",
    "neurons": "个神经元",
    "sigmoid": "S 型",
    "identity": "恒等",
    "output layer": "输出层",
    "one sigmoid neuron": "一个 S 型神经元",
    "two softmax neurons": "两个 softmax 神经元",
    "default: w ~ N(0, 1/n_in)": "默认：w ~ N(0, 1/n)，n 为输入数",
    "large: w ~ N(0, 1), saturated": "大：w ~ N(0, 1)，饱和",
    "L2 regularization <var>λ</var>": "L2 正则化 <var>λ</var>",
    "momentum <var>μ</var>": "动量 <var>μ</var>",
    "epochs (at most)": "迭代次数（至多）",
    "training cost": "训练代价",
    "test cost": "测试代价",
    "training accuracy": "训练准确率",
    "Decision boundary: the output over the plane": "决策边界：整个平面上的输出",
    "Decision boundary": "决策边界",
    "The network: each neuron's output over the plane; weights as lines (blue positive, orange negative; width is size)":
        "网络：每个神经元在平面上的输出；连线表示权重（蓝色为正，橙色为负；粗细表示大小）",
    "Cost against epoch": "代价随迭代次数的变化",
    "Accuracy against epoch": "准确率随迭代次数的变化",
    "Each layer: speed of learning and saturation": "每一层：学习速率与饱和",
    "The output neuron on one training point (click a point to choose it)": "输出神经元在一个训练点上（点击一个点来选择）",
    "speed ||∇b||": "速率 ||∇b||",
    "saturated": "饱和",
    "dead": "死亡",
    "training": "训练",
    "test": "测试",
    "accuracy": "准确率",
    "class 0": "类别 0",
    "class 1": "类别 1",
    "white edge: training point; dark edge: test point": "白边：训练点；深色边：测试点",
    "target": "实际值",
    "Reset the network": "重置网络",
    "One epoch": "一次迭代",
    "Play": "开始",
    "Pause": "暂停",
    "Download the boundary as {fmt}": "把决策边界下载为 {fmt}",
    "starting…": "启动中…",
    "training…": "训练中…",
    "paused": "已暂停",
    "stopped": "已停止",
    "the stream ended": "数据流已结束",
    "done: {epochs} epochs": "完成：{epochs} 次迭代",
    "At most 500 points.": "最多 500 个点。",
    "Click the plane to add at least {n} points of both classes.": "点击平面，添加至少 {n} 个点（两个类别都要有）。",
    "Choose a CSV file of rows x1,x2,label.": "请选择一个 CSV 文件，每行两个坐标和类别（x1,x2,0 或 1）。",
    "The file {name} has {size} bytes, more than 7000: nothing was changed.": "文件 {name} 有 {size} 字节，超过 7000：没有做任何改动。",
    "{name} was not loaded:": "{name} 没有载入：",
    "hidden layer {l} is dead from epoch {e}: no unit is positive on any point, so it no longer learns":
        "第 {l} 个隐藏层从第 {e} 次迭代起死亡：没有一个单元在任何点上为正，所以它不再学习",
    "hidden layer {l} is saturated from epoch {e}: its neurons barely learn": "第 {l} 个隐藏层从第 {e} 次迭代起饱和：它的神经元几乎不学习",
    "the output is saturated at the wrong value on {p}% of its outputs (epoch {e}): the learning slowdown; try the cross-entropy cost":
        "输出层在 {p}% 的输出上饱和于错误的值（第 {e} 次迭代）：这就是学习缓慢；试试交叉熵代价函数",
    "a layer has stopped learning": "有一层停止了学习",
}
