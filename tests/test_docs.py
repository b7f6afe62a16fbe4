"""The examples in docstrings and README.md run and print what they show."""

from __future__ import annotations

import doctest
import importlib
import importlib.util
import json
import os
import re
import subprocess
import sys
import textwrap
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import TYPES, type_class

SRC = Path(__file__).resolve().parents[1] / "src"


def _modules() -> list[str]:
    """Every module of the package whose source has docstring examples."""
    names = []
    for path in sorted((SRC / "arraylr").rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        if ">>> " in path.read_text():
            names.append(".".join(parts))
    return names


MODULES = _modules()
ENVIRONMENT = {"arraylr.keras": {"KERAS_BACKEND": "jax"}}
"""Modules whose import needs an environment (run in a process of their own)."""
README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    if name in ENVIRONMENT:
        code = (
            f"import doctest, {name} as m; r = doctest.testmod(m, "
            "optionflags=doctest.NORMALIZE_WHITESPACE); print(r.failed, r.attempted)"
        )
        env = {**os.environ, "JAX_PLATFORMS": "cpu", **ENVIRONMENT[name]}
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env
        )
        assert done.returncode == 0, done.stdout + done.stderr[-3000:]
        failed, attempted = map(int, done.stdout.split()[-2:])
        assert failed == 0 and attempted > 0, done.stdout
        return
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0


def test_every_family_module_has_examples() -> None:
    # found by rglob: a new type's module is doctested without a list to edit
    families = sorted((SRC / "arraylr" / "families").glob("[!_]*.py"))
    assert families and all(f"arraylr.families.{p.stem}" in MODULES for p in families)


@pytest.mark.parametrize("name", [m for m in MODULES if m not in ENVIRONMENT])
def test_docstring_examples_fit_their_box(name: str) -> None:
    # the API page shows each example in a box about 80 characters wide: a
    # longer line (a repr continued with a backslash) runs past it
    module = importlib.import_module(name)
    for test in doctest.DocTestFinder().find(module):
        for example in test.examples:
            prompt = ">>> "
            for line in (example.source + example.want).splitlines():
                assert len(prompt + line) <= 80, f"{test.name}: {line}"
                assert not line.endswith("\\"), f"{test.name}: {line}"


GUIDE = README.parent / "docs" / "guide.rst"


def _blocks(path: Path) -> list[tuple[Path, int, str]]:
    """``(file, first line, code)`` of each Python block: README's fenced
    blocks, an .rst page's indented ``.. code-block:: python`` blocks."""
    text = path.read_text()
    if path.suffix == ".md":
        found = [
            (m.start(1), m.group(1))
            for m in re.finditer(r"```python\n(.*?)```", text, flags=re.S)
        ]
    else:
        found = [
            (m.start(1), textwrap.dedent(m.group(1)))
            for m in re.finditer(
                r"\.\. code-block:: python\n\n((?:(?:   .*)?\n)+)", text
            )
        ]
    return [(path, text.count("\n", 0, start), code) for start, code in found]


BLOCKS = _blocks(README) + _blocks(GUIDE)


@pytest.mark.parametrize(
    "block", BLOCKS, ids=[f"{path.stem}-line{line + 1}" for path, line, _ in BLOCKS]
)
def test_python_block_runs_alone(block: tuple[Path, int, str]) -> None:
    """Each Python block of README.md and of the site's user guide runs on its
    own, pasted into a fresh interpreter in the repository root, without this
    suite's settings (no conftest: hypothesis keeps its default deadline)."""
    path, line, code = block
    # pad so line numbers are the file's: tracebacks point at the right lines
    code = "\n" * line + code
    env = {k: v for k, v in os.environ.items() if not k.startswith("HYPOTHESIS")}
    env.setdefault("JAX_PLATFORMS", "cpu")
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=README.parent,
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert done.returncode == 0, f"{path.name}:{line + 1}\n" + done.stderr[-3000:]


def test_every_guide_block_is_found() -> None:
    """The block pattern above sees every code block of the guide."""
    text = GUIDE.read_text()
    assert len(_blocks(GUIDE)) == text.count(".. code-block:: python") >= 7


@pytest.mark.parametrize("kind", TYPES)
def test_gallery_and_api_show_every_type(kind: str, tmp_path: Path) -> None:
    """The gallery draws each registered type from its class's example, and the
    API reference lists its class: both from the registry, no list to edit."""
    pytest.importorskip("matplotlib")
    sys.path.insert(0, str(README.parent / "docs" / "_ext"))
    try:
        import arraylr_gallery
        import make_images
    finally:
        sys.path.remove(str(README.parent / "docs" / "_ext"))
    config = make_images.examples([kind])[kind]
    lines = arraylr_gallery.gallery_entry(kind, config, tmp_path)
    assert (tmp_path / f"{kind}.png").stat().st_size > 5000
    cls = type_class(kind)
    assert f":class:`~arraylr.{cls.__name__}`" in lines[0] or cls.__name__ in lines[0]
    assert lines[-2].strip(), "no formula from the class docstring"
    api = "\n".join(arraylr_gallery.api_entries())
    assert f"   * - ``{kind}``" in api and ".. autoclass:: " in api
    assert cls.__name__ in api


def test_readme_picture_is_current() -> None:
    """docs/images/schedules.png shows what the library computes now (the image
    carries a hash of its configs and rates; rerun docs/make_images.py)."""
    pytest.importorskip("PIL")
    done = subprocess.run(
        [sys.executable, str(README.parent / "docs" / "make_images.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_sphinx_site_builds_without_warnings(tmp_path: Path) -> None:
    """The documentation site (docs/, as ``nox -s docs`` builds it), with warnings
    as errors: a broken docstring, page or gallery plot fails here."""
    pytest.importorskip("sphinx")
    pytest.importorskip("numpydoc")
    pytest.importorskip("pydata_sphinx_theme")
    env = {**os.environ, "JAX_PLATFORMS": "cpu"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-W",
            "--keep-going",
            "-q",
            "-b",
            "html",
            str(README.parent / "docs"),
            str(tmp_path / "html"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-5000:]
    gallery = (tmp_path / "html" / "generated" / "gallery.html").read_text()
    for name in TYPES:
        assert f"_images/{name}.png" in gallery, name
    # the formulas render without a network: MathJax is served from the site
    if importlib.util.find_spec("mathjax") is not None:
        assert (tmp_path / "html" / "_static" / "tex-svg-full.js").stat().st_size > 1e6
        assert "_static/tex-svg-full.js" in gallery
    # a LaTeX cases row ends in a double backslash that reaches MathJax intact
    rows = re.findall(r"&amp; d &lt; T \\\\", gallery)
    assert rows, "the cosine formula lost its row separator"
    semantics = (tmp_path / "html" / "semantics.html").read_text()
    assert "Agreement bounds" in semantics
    for page in ("deepmd", "optax", "torch", "transformers", "keras"):
        assert (tmp_path / "html" / "migration" / f"{page}.html").exists()
    api = (tmp_path / "html" / "api.html").read_text()
    for name in (
        "LearningRateCyclic",
        "ScheduleLR",
        "KerasSchedule",
        "assert_backends_agree",
        "torch_operations",
        "configs",
    ):
        assert name in api, name
    problems = [
        f"{page.relative_to(tmp_path / 'html')}: {problem}"
        for page in sorted((tmp_path / "html").rglob("*.html"))
        for problem in table_problems(page.read_text())
    ]
    assert not problems, "\n".join(problems)


class _Tables(HTMLParser):
    """The text of every cell of every table of a page, row by row (tables of
    Sphinx's generated indexes are left empty)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None
        self._skip = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append([])
            self._skip = "indextable" in (dict(attrs).get("class") or "")
        elif self._skip:  # Sphinx's own index pages (icon columns)
            return
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th") and self.tables and self.tables[-1]:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def table_problems(html: str) -> list[str]:
    """What is wrong with the tables of an HTML page: a row with fewer or more
    cells than the header, an empty cell, or a cell that stops mid-sentence (a
    trailing comma, an unclosed parenthesis): the marks of a source line that
    became a row of its own."""
    parser = _Tables()
    parser.feed(html)
    problems = []
    for t, rows in enumerate(parser.tables):
        rows = [row for row in rows if row]
        if not rows:
            continue
        width = len(rows[0])
        for r, row in enumerate(rows):
            where = f"table {t + 1} row {r + 1}"
            if len(row) != width:
                problems.append(f"{where}: {len(row)} cells, the header has {width}")
            for cell in row:
                if not cell:
                    problems.append(f"{where}: an empty cell")
                elif cell.endswith(",") or cell.count("(") != cell.count(")"):
                    problems.append(f"{where}: a cell stops mid-sentence: {cell!r}")
    return problems


def test_table_check_catches_a_broken_table() -> None:
    # the DeePMD-kit migration table as it was built before: each source line a
    # row, cells split across rows, empty right-hand cells
    broken = (
        "<table><thead><tr><th>DeePMD-kit</th><th>arraylr</th></tr></thead><tbody>"
        "<tr><td>type, start_lr,</td><td>the same names</td></tr>"
        "<tr><td>warmup_ratio,</td><td></td></tr>"
        "<tr><td>exp: decay_steps,</td><td>the same (decay_steps &gt;= T is</td></tr>"
        "<tr><td>decay_rate</td></tr></tbody></table>"
    )
    found = table_problems(broken)
    assert len(found) == 6, found
    assert any("1 cells, the header has 2" in p for p in found)
    assert any("an empty cell" in p for p in found)
    fixed = broken.replace("<td></td>", "<td>x</td>").replace(",<", "<")
    fixed = fixed.replace(" is<", " is)<").replace(
        "rate</td></tr>", "r</td><td>y</td></tr>"
    )
    assert table_problems(fixed) == []


def test_install_lines_work_as_written() -> None:
    # arraylr is installed from a clone: "pip install arraylr[...]" finds nothing
    pages = [README, *sorted((README.parent / "docs").rglob("*.rst"))]
    pages += sorted((README.parent / "src" / "arraylr").rglob("*.py"))
    for page in pages:
        text = page.read_text()
        assert not re.search(r"pip install [\"']?arraylr", text), page


def test_readme_deepmd_input_ends_in_a_cycle() -> None:
    # the DeePMD-kit input of the README: its last step is not a restart (show
    # would list the next cycle's peak as the rate at the end)
    from arraylr import load_config

    text = README.read_text()
    block = re.search(r"```json\n(\{\n  \"model\".*?)```", text, flags=re.S)
    assert block is not None
    lr = load_config(json.loads(block.group(1)))
    restarts = [step for step, label in lr.phases() if label.startswith("restart")]
    assert lr.num_steps not in restarts
    assert lr(lr.num_steps) < 0.01 * lr.start_lr  # near the bottom of a cycle


def test_readme_names_only_registered_types() -> None:
    # README names some types as examples; the full list is generated (gallery,
    # API reference), so a new type needs no README edit, and a renamed one
    # cannot linger here
    text = README.read_text()
    section = text.split("## Schedules", 1)[1].split("\n## ", 1)[0]
    paragraph = section.split("The types include", 1)[1].split("\n\n", 1)[0]
    named = set(re.findall(r"`([a-z_]+)`", paragraph))
    assert len(named) >= 10 and named <= set(TYPES), named - set(TYPES)


def test_api_reference_lists_every_public_name() -> None:
    """api.rst (with the schedule classes it includes from the registry) names
    every public name of arraylr, and every public method of Population."""
    import arraylr
    from arraylr import Population

    api = (README.parent / "docs" / "api.rst").read_text()
    assert ".. include:: generated/schedules.inc" in api
    generated = {cls.__name__ for cls in arraylr.BaseLR.registered_types().values()}
    for name in arraylr.__all__:
        if name in generated or name.startswith("__"):
            continue
        assert f"arraylr.{name}" in api, name
    members = re.search(r"autoclass:: arraylr.Population\n   :members: (.*)", api)
    assert members is not None
    listed = {m.strip() for m in members.group(1).split(",")}
    public = {n for n in dir(Population) if not n.startswith("_")}
    assert public <= listed, public - listed
