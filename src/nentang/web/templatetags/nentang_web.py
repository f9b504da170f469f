"""Template helpers of the design system: ``{% load nentang_web %}``."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django import template
from django.forms import BoundField
from django.template.base import FilterExpression, NodeList, Parser, Token
from django.template.context import Context
from django.utils.safestring import SafeString

from nentang.kernel.errors import code_for_status
from nentang.kernel.observability.context import current_request_id
from nentang.web.components import Cell, Column
from nentang.web.problems import ProblemType, problem_type_for_status

register = template.Library()

_COMPONENT_NAME = re.compile(r"^[a-z_]+$")


class ComponentNode(template.Node):
    def __init__(self, name: str, kwargs: dict[str, FilterExpression], nodelist: NodeList):
        self.name = name
        self.kwargs = kwargs
        self.nodelist = nodelist

    def render(self, context: Context) -> str:
        values: dict[str, Any] = {key: value.resolve(context) for key, value in self.kwargs.items()}
        # The body is template output, already escaped by the template engine.
        values["body"] = SafeString(self.nodelist.render(context).strip())
        engine = context.template.engine if context.template else None
        if engine is None:  # pragma: no cover - a node always renders inside a template
            raise template.TemplateSyntaxError("component rendered outside a template")
        partial = engine.get_template(f"web/components/{self.name}.html")
        # Like {% include … only %}: the partial sees its arguments, not the page's
        # variables (a page's `title` must not become the alert's title).
        return partial.render(context.new(values))


@register.tag
def component(parser: Parser, token: Token) -> ComponentNode:
    """A partial that wraps a body of markup::

        {% component "alert" tone="warning" title=_("Check your address") %}
          <p>Results sent by post go to <strong>{{ address }}</strong>.</p>
        {% endcomponent %}

    renders ``web/components/alert.html`` with ``tone``, ``title`` and ``body`` and
    nothing else from the page. Use ``{% include … only %}`` when there is no body.
    """
    bits = token.split_contents()
    if len(bits) < 2 or bits[1][0] not in "\"'" or bits[1][-1] != bits[1][0]:
        raise template.TemplateSyntaxError('usage: {% component "name" key=value … %}')
    name = bits[1][1:-1]
    if not _COMPONENT_NAME.match(name):
        raise template.TemplateSyntaxError(f"invalid component name {name!r}")
    remaining = bits[2:]
    kwargs = template.base.token_kwargs(remaining, parser, support_legacy=False)
    if remaining:
        raise template.TemplateSyntaxError(f"component arguments must be key=value: {remaining}")
    nodelist = parser.parse(("endcomponent",))
    parser.delete_first_token()
    return ComponentNode(name, kwargs, nodelist)


@register.filter
def with_columns(row: Iterable[Any], columns: Iterable[Column]) -> list[tuple[Column, Cell]]:
    """Pair each cell of a table row with its column; plain values become cells."""
    return [
        (column, cell if isinstance(cell, Cell) else Cell(text=str(cell)))
        for column, cell in zip(columns, row, strict=True)
    ]


@register.filter
def error_anchor(field: BoundField) -> str:
    """The id an error-summary link should jump to: the input itself.

    Radio groups have no single labelled input (Django returns ""), so the link goes to
    the first radio, which is where a keyboard user would start anyway.
    """
    return field.id_for_label or (f"{field.auto_id}_0" if field.auto_id else "")


@register.simple_tag
def problem_for_status(status: int) -> ProblemType | None:
    return problem_type_for_status(int(status))


@register.simple_tag
def problem_code(status: int) -> str:
    return code_for_status(int(status))


@register.simple_tag
def request_id() -> str:
    """The id of the request being answered ("-" outside a request), for support calls."""
    return current_request_id()
