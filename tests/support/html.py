"""A small HTML reader for tests: what a page contains, without a browser, and what
every page of the design system promises (:func:`assert_well_formed`).

Built on the standard library's parser, so the page tests stay fast and need nothing
beyond Django's test client.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}
# Controls a person fills in; hidden inputs and buttons are labelled by their own text.
UNLABELLED_INPUT_TYPES = {"hidden", "submit", "button", "reset", "image"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    inside_label: bool = False
    text: str = ""


@dataclass
class Page:
    elements: list[Element] = field(default_factory=list)
    inline_scripts: list[str] = field(default_factory=list)

    def all(self, tag: str) -> list[Element]:
        return [element for element in self.elements if element.tag == tag]

    def ids(self) -> set[str]:
        return {element.attrs["id"] for element in self.elements if "id" in element.attrs}

    def texts(self, tag: str) -> list[str]:
        return [" ".join(element.text.split()) for element in self.all(tag)]

    def hrefs(self) -> list[str]:
        return [a.attrs.get("href", "") for a in self.all("a")]

    def controls(self) -> list[Element]:
        """Inputs, selects and textareas that a person fills in."""
        return [
            element
            for element in self.elements
            if element.tag in ("select", "textarea")
            or (
                element.tag == "input"
                and element.attrs.get("type", "text") not in UNLABELLED_INPUT_TYPES
            )
        ]

    def unlabelled_controls(self) -> list[Element]:
        labelled_ids = {label.attrs["for"] for label in self.all("label") if "for" in label.attrs}
        return [
            control
            for control in self.controls()
            if not control.inside_label
            and control.attrs.get("id") not in labelled_ids
            and not control.attrs.get("aria-label")
            and not control.attrs.get("aria-labelledby")
        ]


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self._open: list[Element] = []
        self._labels = 0
        self._script: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        element = Element(tag=tag, attrs=values, inside_label=self._labels > 0)
        self.page.elements.append(element)
        if tag == "script" and "src" not in values:
            self._script = []
        if tag == "label":
            self._labels += 1
        if tag not in VOID:
            self._open.append(element)

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self._labels = max(0, self._labels - 1)
        if tag == "script" and self._script is not None:
            self.page.inline_scripts.append("".join(self._script))
            self._script = None
        for index in range(len(self._open) - 1, -1, -1):
            if self._open[index].tag == tag:
                del self._open[index:]
                break

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._script.append(data)
        for element in self._open:
            element.text += data


def read(html: bytes | str) -> Page:
    reader = _Reader()
    reader.feed(html.decode() if isinstance(html, bytes) else html)
    reader.close()
    return reader.page


def assert_well_formed(page: Page) -> None:
    """What every page of the design system promises, whatever its content."""
    assert len(page.all("h1")) == 1
    assert len(page.all("main")) == 1
    assert len(page.all("header")) == 1
    assert len(page.all("footer")) == 1
    scripts_without_src = [s for s in page.all("script") if "src" not in s.attrs]
    assert scripts_without_src == []
    handlers = [
        (element.tag, name)
        for element in page.elements
        for name in element.attrs
        if name.startswith("on")
    ]
    assert handlers == []
    assert page.unlabelled_controls() == []
    stylesheets = [
        link.attrs["href"] for link in page.all("link") if link.attrs["rel"] == "stylesheet"
    ]
    assert stylesheets == ["/static/web/css/nentang.css"]
    skip = page.all("a")[0]
    assert skip.attrs["href"] == "#main"
    assert "main" in page.ids()
    # aria-describedby only points at ids that exist on the page
    ids = page.ids()
    for element in page.elements:
        for target in element.attrs.get("aria-describedby", "").split():
            assert target in ids, (element.tag, target)
