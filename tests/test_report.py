"""costlab report: one self-contained HTML file, its numbers, its SVG, its errors."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from costlab.report import math_svg, svg_inline
from clitools import run_main

SVG = re.compile(r"<svg\b.*?</svg>", re.S)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    path = tmp_path_factory.mktemp("report") / "report.html"
    code, out, err = run_main("report", "--out", str(path), "--map-points", "41")
    assert code == 0, err
    assert out.startswith(f"wrote {path} (") and out.count("\n") == 1
    return path.read_text()


@pytest.fixture(scope="module")
def report_zh(tmp_path_factory):
    path = tmp_path_factory.mktemp("report") / "zh.html"
    code, _, err = run_main("report", "--out", str(path), "--map-points", "21", "--lang", "zh")
    assert code == 0, err
    return path.read_text()


@pytest.fixture(scope="module")
def report_without_data(tmp_path_factory):
    path = tmp_path_factory.mktemp("report") / "plain.htm"
    code, _, err = run_main("report", "--out", str(path), "--data", "none", "--map-points", "21")
    assert code == 0, err
    return path.read_text()


def test_report_makes_no_external_request(report):
    assert report.startswith("<!doctype html>")
    without_namespaces = re.sub(r'\sxmlns(:\w+)?="[^"]*"', "", report)
    assert "http://" not in without_namespaces and "https://" not in without_namespaces
    for attr in re.findall(r'\b(?:src|href)="([^"]*)"', report):
        assert attr.startswith(("#", "data:")), attr
    for tag in ("<script", "<link", "<iframe", "<img", "@import", "url(http"):
        assert tag not in report
    # the only url()s are references inside the page's own SVG
    assert all(u.startswith("#") for u in re.findall(r"url\(([^)]*)\)", report))


def test_report_holds_the_seeds_numbers(report):
    text = re.sub(SVG, "", report)  # the tables and the prose, not the figures
    for number in ("0.8176", "0.9820", "0.9759", "0.9334", "0.2028", "0.0940", "0.0116", "0.0120",
                   "0.3342", "0.4822", "4.0181", "0.1491", "0.0177"):
        assert number in text, number
    for first in ("<td class=\"num\">232</td>", "<td class=\"num\">36</td>", "<td class=\"num\">17</td>",
                  "<td class=\"num\">8</td>"):
        assert first in text
    assert "at epoch 232" in text and "still 0.20 after 300 epochs" in text


def test_report_sections(report, report_without_data):
    for section in ("experiment", "mechanism", "derivations", "map", "data"):
        assert f'<section id="{section}">' in report
    assert "On real data: the 8×8 digits" in report and "after one epoch" in report
    assert '<section id="data">' not in report_without_data
    assert "costlab report --data none" in report_without_data
    assert "On real data" not in report_without_data


def test_every_inline_svg_parses_and_ids_are_unique(report):
    svgs = SVG.findall(report)
    figures = [s for s in svgs if 'class="figure"' in s[:400]]
    maths = [s for s in svgs if 'class="math"' in s[:400]]
    assert len(figures) == 8  # output, cost grid, sigmoid, gradient, map, map against a0, comparison, layers
    assert len(maths) >= 50
    for svg in svgs:
        root = ET.fromstring(svg)
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        assert root.get("viewBox")
    ids = re.findall(r'\bid="([^"]+)"', report)
    assert len(ids) == len(set(ids))
    # every reference points at an id of the page
    for ref in re.findall(r'(?:href="#|url\(#)([^")]+)', report):
        assert ref in set(ids), ref


def test_derivations_are_typeset_with_their_text(report):
    assert "The sigmoid's derivative (the blog post's appendix)" in report
    assert "Where the cross-entropy comes from" in report
    # each equation is an image labelled with its plain text
    assert 'aria-label="Derivative(C, b) = a - y"' in report or "= a - y\"" in report
    assert report.count('class="math"') >= 50


def test_math_svg_is_scoped_and_sized():
    a = math_svg(r"\frac{\partial C}{\partial b} = a - y", "p1", "dC/db = a - y")
    b = math_svg(r"\frac{\partial C}{\partial b} = a - y", "p2", "dC/db = a - y")
    ids_a = set(re.findall(r'id="([^"]+)"', a))
    ids_b = set(re.findall(r'id="([^"]+)"', b))
    assert ids_a and not ids_a & ids_b
    assert all(i.startswith("p1-") for i in ids_a)
    root = ET.fromstring(a)
    assert root.get("width", "").endswith("pt") and "vertical-align" in root.get("style")
    assert root.find("{http://www.w3.org/2000/svg}title").text == "dC/db = a - y"


def test_svg_inline_drops_the_xml_head_and_fixed_size():
    svg = ('<?xml version="1.0"?>\n<!DOCTYPE svg PUBLIC "x" "y">\n<svg width="10pt" height="5pt" viewBox="0 0 10 5" '
           'xmlns="http://www.w3.org/2000/svg"><metadata>m</metadata><defs><path id="g"/></defs>'
           '<use href="#g"/><g clip-path="url(#g)"/></svg>')
    out = svg_inline(svg, "f1", css_class="figure", label="a figure")
    assert out.startswith("<svg ") and "metadata" not in out and "DOCTYPE" not in out
    assert 'width="10pt"' not in out and 'viewBox="0 0 10 5"' in out
    assert 'id="f1-g"' in out and 'href="#f1-g"' in out and "url(#f1-g)" in out
    ET.fromstring(out)


@pytest.mark.parametrize("args, message", [
    (("--out", "/nonexistent-dir/report.html"), "--out cannot be written: /nonexistent-dir/report.html"),
    (("--out", "report.pdf"), "--out must end in .html or .htm"),
    (("--data", "mnist"), "Invalid value for '--data'"),
    (("--map-points", "1"), "--map-points must be a whole number in [2, 1001], got 1"),
    (("--map-points", "5000"), "--map-points must be a whole number in [2, 1001], got 5000"),
])
def test_report_bad_input_is_one_line(args, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run_main("report", *args)
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("costlab report: error: ")
    assert message in err
    assert out == ""
    assert list(tmp_path.iterdir()) == []


def test_report_to_a_directory_is_refused(tmp_path):
    (tmp_path / "taken.html").mkdir()
    code, _, err = run_main("report", "--out", str(tmp_path / "taken.html"))
    assert code == 2 and "is a directory" in err


def _prose(page: str) -> str:
    """The words a reader sees: the page without its SVG, tags and entities."""
    text = re.sub(r"<style>.*?</style>", "", re.sub(SVG, "", page), flags=re.S)
    return re.sub(r"&\w+;|<[^>]+>", " ", text)


def test_report_in_chinese(report_zh):
    assert '<html lang="zh-CN">' in report_zh
    prose = _prose(report_zh)
    for term in ("交叉熵代价函数", "二次代价函数", "学习速率", "饱和", "实验：两个起点，两个代价函数", "推导"):
        assert term in prose, term
    # the whole report is Chinese: no English sentence is left (commands and formulas aside)
    english = [w for w in re.findall(r"[A-Za-z]{4,}(?: [a-z]{2,}){2,}", prose) if "costlab" not in w]
    assert english == [], english
    # the numbers and the mathematics are the same as in English
    assert "0.2028" in prose and "232" in prose
    assert report_zh.count('class="math"') >= 50
    # self-contained, like the English one
    assert "<script" not in report_zh and "<link" not in report_zh and "<img" not in report_zh


def test_the_chinese_report_has_no_untranslated_word(report_zh):
    """The Chinese report as its reader reads it (the text outside the typeset formulas, the commands and the
    styles) holds no Latin word outside the allow-list of tests/zhtext.py; its figures: tests/test_zh_text.py."""
    import html

    from zhtext import latin_words

    text = re.sub(r"<(svg|code|style|title|sub|sup)\b.*?</\1>", " ", report_zh, flags=re.S)
    text = html.unescape(re.sub(r"<[^>]+>", "\n", text))
    found = {line.strip(): latin_words(line) for line in text.splitlines() if latin_words(line)}
    assert found == {}, f"untranslated text in the Chinese report: {found}"
    assert "S\u00a0型" in text and "sigmoid" not in text
    # full-width punctuation after Chinese, and no space after a full stop (formulas and commands as F)
    prose = html.unescape(re.sub(r"<[^>]+>", "", re.sub(r"<(svg|code)\b.*?</\1>", "F", report_zh, flags=re.S)))
    assert re.findall(r"[\u4e00-\u9fff][,;:!?]", prose) == []
    assert re.findall(r"[。；：！？，] +\S", prose) == []
    # no Chinese in italics
    assert not re.search(r"<(i|em)>[^<]*[\u4e00-\u9fff]", report_zh) or "html:lang(zh-CN) em" in report_zh


def test_report_typography(report):
    prose = _prose(report)
    assert "`" not in prose  # no stray markup
    assert "sigma'" not in prose and "d/du" not in prose and "^-" not in prose  # formulas are typeset, not ASCII
    # every derivation step's label with a formula carries it as typeset math
    labels = re.findall(r'<span class="label">(.*?)</span><span class="eq', report, re.S)
    assert len(labels) >= 40
    assert sum('class="math"' in lab for lab in labels) >= 15
    # the map has a figure of its own, the full width of the page
    assert '<figure id="fig-map" class="wide">' in report


def test_blog_post_not_seed(report):
    prose = _prose(report)
    assert "blog post" in prose and "Nielsen" in prose
    assert not re.search(r"\bthe seed\b|\bseed's\b", prose)


def test_report_shows_each_layers_speed(report, report_without_data):
    assert '<section id="layers">' in report and '<section id="layers">' not in report_without_data
    text = re.sub(SVG, "", report)
    # Nielsen's chapter 5, measured: the first hidden layer of the sigmoid networks is the slowest
    m = re.search(r"the first hidden layer learns (\d+) to (\d+) times slower", text)
    assert m and int(m.group(1)) >= 5
