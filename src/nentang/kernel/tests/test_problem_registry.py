"""Every problem code that code can raise is registered, with a matching status, so its
``type`` URI (<BASE_URL>/problems/<code>) leads to a page that explains it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from nentang.kernel import errors
from nentang.kernel.errors.registry import problem_type_for_code, problem_types, register

SOURCE = Path(errors.__file__).resolve().parents[2]  # src/nentang

# Problem classes and their statuses, including every subclass defined in the source.
STATUSES = {
    cls.__name__: cls.status for cls in [errors.ProblemError, *errors.ProblemError.__subclasses__()]
}


def _code_value(node: ast.expr, constants: dict[str, str]) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        return constants.get(node.id)
    return None


def raised_codes() -> list[tuple[str, str, int | None]]:
    """(where, code, status) for each ProblemError(..., code=...) and problem_response."""
    import importlib
    import importlib.util

    from django.conf import settings

    # Every context's (and sub-app's) problems.py, found by name (the kernel imports no
    # context).
    modules = [
        importlib.import_module(f"{app}.problems")
        for app in settings.INSTALLED_APPS
        if app.startswith("nentang.") and importlib.util.find_spec(f"{app}.problems") is not None
    ]
    constants = {
        name: value
        for module in modules
        for name, value in vars(module).items()
        if name.isupper() and isinstance(value, str)
    }
    found = []
    for path in SOURCE.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        if path.parent == SOURCE / "kernel" / "errors":  # the machinery passes codes through
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name not in STATUSES and name != "problem_response":
                continue
            keywords = {k.arg: k.value for k in node.keywords}
            if "code" not in keywords:
                continue
            code = _code_value(keywords["code"], constants)
            where = f"{path.relative_to(SOURCE)}:{node.lineno}"
            assert code is not None, f"{where}: use a registered code constant or literal"
            status = STATUSES.get(name or "")
            if name == "problem_response" and isinstance(keywords.get("status"), ast.Constant):
                status = keywords["status"].value  # type: ignore[attr-defined]
            found.append((where, code, status))
    return found


def test_the_scan_finds_the_raises() -> None:
    codes = {code for _where, code, _status in raised_codes()}
    assert {"province_not_found", "invalid_cursor", "idempotency_key_reused"} <= codes


def test_every_raised_code_is_registered_with_its_status() -> None:
    problems = []
    for where, code, status in raised_codes():
        registered = problem_type_for_code(code)
        if registered is None:
            problems.append(f"{where}: {code!r} is not registered")
        elif status is not None and registered.status != status:
            problems.append(
                f"{where}: {code!r} raised as {status}, registered as {registered.status}"
            )
    assert problems == []


def test_every_subclass_code_is_registered() -> None:
    for cls in errors.ProblemError.__subclasses__():
        registered = problem_type_for_code(cls.code)
        assert registered is not None, cls
        assert registered.status == cls.status


def test_registered_types_explain_themselves() -> None:
    for problem in problem_types():
        assert str(problem.title)
        assert str(problem.meaning)
        assert str(problem.advice)


def test_register_refuses_bad_codes_and_status_changes() -> None:
    with pytest.raises(ValueError, match="lower_snake_case"):
        register("Bad-Code", status=400, title="t", meaning="m", advice="a")
    with pytest.raises(ValueError, match="not an error status"):
        register("fine_code", status=200, title="t", meaning="m", advice="a")
    with pytest.raises(ValueError, match="already registered"):
        register("not_found", status=410, title="t", meaning="m", advice="a")


# Kernel problem classes no code raises yet, each with the change that will use it. A
# class listed here that is used fails this test too: take it off the list.
NOT_YET_RAISED: dict[str, str] = {}


def test_every_kernel_problem_class_is_raised_somewhere() -> None:
    """A problem class nobody raises is a promise the API does not keep (PayloadTooLarge
    was one: the 413 was built by hand beside it)."""
    defined = {
        name
        for name, value in vars(errors).items()
        if isinstance(value, type)
        and issubclass(value, errors.ProblemError)
        and value is not errors.ProblemError
    }
    used: set[str] = set()
    for path in SOURCE.rglob("*.py"):
        if "tests" in path.parts or path == Path(errors.__file__).resolve():
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                target = node.func
                name = (
                    target.attr
                    if isinstance(target, ast.Attribute)
                    else getattr(target, "id", None)
                )
                if name in defined:
                    used.add(name)
    assert defined - used == set(NOT_YET_RAISED), sorted(defined - used)
