"""Create a new bounded context of nentang with the shape every context has.

    .venv/bin/python scripts/new_context.py payments --title "Mobile money and payments"

writes ``src/nentang/<name>/`` (models, services, selectors, api, urls, views,
templates, tasks, demo, problems, admin, migrations, locale, tests), adds the app to
``settings.NENTANG_APPS`` and gives it its place in the import contracts of
``pyproject.toml``. The API router, the URLs and the demo loader are found by
convention (``config/urls.py``, ``kernel.demodata``), so nothing else needs editing.
docs/new-context.md explains the shape and the reasons behind it.
"""

from __future__ import annotations

import argparse
import keyword
import re
import shutil
import subprocess
import sys
from pathlib import Path
from string import Template

ROOT = Path(__file__).resolve().parent.parent
NAME = re.compile(r"^[a-z][a-z0-9]{2,29}$")
RESERVED = {"config", "kernel", "web", "tests", "locale", "static", "templates", "nentang"}


class ScaffoldError(Exception):
    """A reason not to scaffold, in one sentence."""


FILES: dict[str, str] = {
    "__init__.py": '''\
"""$title: the $name context of nentang.

Same shape as every context (docs/new-context.md): ``models`` (its tables only),
``services`` (writes), ``selectors`` (reads), ``api`` (ninja router), ``views`` and
``urls`` (HTML), ``tasks``, ``demo``, ``problems``, ``admin``, ``tests``.
"""
''',
    "apps.py": """from django.apps import AppConfig


class ${camel}Config(AppConfig):
    name = "nentang.$name"
    label = "$name"
    verbose_name = "$title"

    def ready(self) -> None:
        from nentang.$name import problems  # noqa: F401 - registers the problem codes
""",
    "models.py": '''\
"""Tables of the $name context. Only this context's services write them; other
contexts read them through ``selectors`` and change them through ``services``.

Ids: UUIDv7 (``kernel.ids.uuid7``) for public ids, legal formats for legal codes; money
in integer đồng (``BigIntegerField``); text NFC; times in UTC.
"""
''',
    "services.py": '''\
"""Write operations of the $name context.

Each is a keyword-only, typed ``<entity>_<verb>`` function that takes the acting
account explicitly, checks its permission, is its own transaction and records its audit
entry inside it (``kernel.auditing.record``). Follow-up work goes through the outbox
(``kernel.events.emit``) or ``transaction.on_commit``. Split into a ``services/``
package by topic before this file passes ~600 lines.
"""

from __future__ import annotations
''',
    "selectors.py": '''\
"""Read operations of the $name context, with their permission checks (no BOLA):
a reader sees only what they may see, and every read of a person's data by someone
else is logged for that person (``identity.services.data_usage_record``).
"""

from __future__ import annotations
''',
    "api.py": '''\
"""JSON API of the $name context at ``/api/v1/$name/`` (mounted by config/urls.py).

Each operation parses, authorises, calls one service or selector and serialises, with
its own input and output schemas; errors are problem+json (``kernel.errors``); unsafe
creates honour ``Idempotency-Key`` (``kernel.idempotency``); lists use cursor
pagination (``kernel.pagination``).
"""

from __future__ import annotations

from ninja import Router

router = Router(tags=["$name"])
''',
    "urls.py": '''\
"""HTML pages of the $name context, with full paths (included at the root by
config/urls.py)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver

app_name = "$name"

urlpatterns: list[URLPattern | URLResolver] = []
''',
    "views.py": '''\
"""HTML pages of the $name context: parse, authorise, call services and selectors,
render the design system's templates (``templates/$name/``). Vietnamese first: every
visible string goes through gettext. Becomes a ``views/`` package as pages grow.
"""

from __future__ import annotations
''',
    "tasks.py": '''\
"""Background tasks of the $name context (django-tasks). Thin: load by id, call one
service."""

from __future__ import annotations
''',
    "demo.py": '''\
"""Demo data of the $name context for ``nentang demo``.

Idempotent: look everything up first and create it through the services only when
missing, from seeded generators, so running the demo twice changes nothing.
"""

from __future__ import annotations

from nentang.kernel import demodata


@demodata.loader("$name")
def load(progress: demodata.Progress) -> None:
    progress.start("$title", 1)
    progress.advance()
''',
    "problems.py": '''\
"""Problem codes of the $name context (see kernel/errors/registry.py): each code a
service raises is registered here with its status, title, meaning and advice."""

from __future__ import annotations
''',
    "admin.py": '''\
"""Django admin of the $name context (operators' tools; every change is audited by
the audit context's admin hook)."""
''',
    "migrations/__init__.py": "",
    "templates/$name/.gitkeep": "",
    "tests/__init__.py": "",
    "tests/test_wiring.py": '''\
"""The $name context is installed, wired and has its place in the contracts."""

from __future__ import annotations

import tomllib
from pathlib import Path

from django.apps import apps
from django.conf import settings

from nentang.kernel import demodata

PYPROJECT = Path(__file__).resolve().parents[4] / "pyproject.toml"


def test_the_app_is_installed_in_dependency_order() -> None:
    assert apps.is_installed("nentang.$name")
    assert "nentang.$name" in settings.NENTANG_APPS


def test_its_demo_loader_is_registered() -> None:
    demodata.discover()

    assert "$name" in [loader.context for loader in demodata.registered([])]


def test_it_is_entered_only_through_its_services_and_selectors() -> None:
    contracts = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["importlinter"]

    assert "$name-entry" in [contract.get("id") for contract in contracts["contracts"]]
''',
}

PO_HEADER = """# nentang: messages of the $name context.
# This file is distributed under the same license as nentang (Apache-2.0).
# Regenerate with `./scripts/messages $name` (makemessages + compilemessages for
# this context); translate the new entries, run it again, commit both .po and .mo.
msgid ""
msgstr ""
"Project-Id-Version: nentang\\n"
"Report-Msgid-Bugs-To: \\n"
"Last-Translator: nentang contributors\\n"
"Language-Team: $language_name\\n"
"Language: $language\\n"
"MIME-Version: 1.0\\n"
"Content-Type: text/plain; charset=UTF-8\\n"
"Content-Transfer-Encoding: 8bit\\n"
"Plural-Forms: $plural\\n"
"""

LANGUAGES = {
    "vi": ("Vietnamese", "nplurals=1; plural=0;"),
    "en": ("English", "nplurals=2; plural=(n != 1);"),
}

CONTRACT = """
[[tool.importlinter.contracts]]
id = "$name-entry"
name = "$name is entered from other contexts only through its services and selectors"
type = "protected"
protected_modules = ["nentang.$name"]
allowed_importers = ["nentang.config"]
ignore_imports = [
    "nentang.** -> nentang.$name.services", "nentang.** -> nentang.$name.services.**",
    "nentang.** -> nentang.$name.selectors", "nentang.** -> nentang.$name.selectors.**",
]
unmatched_ignore_imports_alerting = "none"
"""


def _check_name(name: str, package: Path) -> None:
    if not NAME.match(name) or keyword.iskeyword(name) or name in RESERVED:
        raise ScaffoldError(
            f"{name!r} is not a context name: 3-30 lower-case letters or digits, "
            "starting with a letter, not a reserved word"
        )
    if (package / name).exists():
        raise ScaffoldError(f"src/nentang/{name} exists already")


def _write_package(name: str, title: str, package: Path) -> list[Path]:
    values = {"name": name, "title": title, "camel": name.capitalize()}
    written = []
    for relative, text in FILES.items():
        path = package / name / Template(relative).substitute(values)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(Template(text).substitute(values), encoding="utf-8")
        written.append(path)
    for language, (language_name, plural) in LANGUAGES.items():
        folder = package / name / "locale" / language / "LC_MESSAGES"
        folder.mkdir(parents=True)
        po = folder / "django.po"
        po.write_text(
            Template(PO_HEADER).substitute(
                name=name, language=language, language_name=language_name, plural=plural
            ),
            encoding="utf-8",
        )
        msgfmt = shutil.which("msgfmt")
        if msgfmt is None:
            raise ScaffoldError("gettext's msgfmt is needed (apt-get install gettext)")
        subprocess.run([msgfmt, "-o", str(folder / "django.mo"), str(po)], check=True)
        written += [po, folder / "django.mo"]
    return written


def _register_app(name: str, settings_file: Path) -> None:
    text = settings_file.read_text(encoding="utf-8")
    match = re.search(r"NENTANG_APPS = \[\n(?P<body>(?:    \"[^\"]+\",\n)+)\]", text)
    if match is None:
        raise ScaffoldError(f"{settings_file} has no NENTANG_APPS list to extend")
    body = match.group("body") + f'    "nentang.{name}",\n'
    settings_file.write_text(
        text[: match.start("body")] + body + text[match.end("body") :], encoding="utf-8"
    )


def _register_contracts(name: str, pyproject: Path) -> None:
    text = pyproject.read_text(encoding="utf-8")
    # The contexts' layer: the line of the layers contract that names them with " : ".
    match = re.search(r'^(    "(?:[a-z0-9]+ : )*[a-z0-9]+ : [a-z0-9]+)",$', text, re.MULTILINE)
    if match is None:
        raise ScaffoldError(f"{pyproject} has no contexts layer in its layers contract")
    text = text[: match.end(1)] + f" : {name}" + text[match.end(1) :]
    pyproject.write_text(text.rstrip("\n") + "\n" + Template(CONTRACT).substitute(name=name))


def scaffold(name: str, title: str, root: Path = ROOT) -> list[Path]:
    """Create the context under ``root`` and register it; returns the files written."""
    package = root / "src" / "nentang"
    _check_name(name, package)
    written = _write_package(name, title, package)
    _register_app(name, package / "config" / "settings.py")
    _register_contracts(name, root / "pyproject.toml")
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("name", help="the package and app label, e.g. payments")
    parser.add_argument("--title", required=True, help='English name, e.g. "Mobile money"')
    parser.add_argument("--root", type=Path, default=ROOT, help="repository root")
    args = parser.parse_args(argv)
    try:
        written = scaffold(args.name, args.title, args.root)
    except ScaffoldError as error:
        print(f"new_context: {error}.", file=sys.stderr)
        return 2
    print(f"created {len(written)} files under src/nentang/{args.name}/")
    print("registered in settings.NENTANG_APPS and in pyproject.toml's import contracts")
    print("next: read docs/new-context.md, then add models and `nentang manage makemigrations`")
    return 0


if __name__ == "__main__":
    sys.exit(main())
