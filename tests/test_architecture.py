"""Tests that pin the architecture: which layer imports what, that every exception of the product
derives from the one root (core/errors.py), and that every core error reaches the wire through the
one mapping in recovery_soap/soap/faults.py (+ convert.py)."""

from __future__ import annotations

import ast
import importlib
import inspect
import pathlib
import pkgutil
import re
from types import SimpleNamespace

import pytest
from spyne import Application, Fault

import recovery_soap.core
from recovery_soap.core import errors
from recovery_soap.core.errors import (
    BadRequest,
    RecoveryError,
    RecoverySoapError,
    RequestRefused,
    StoreConflict,
    Unavailable,
)
from recovery_soap.soap import convert
from recovery_soap.soap.faults import UNEXPECTED, RecoveryApplication
from recovery_soap.soap.protocol import SafeSoap11
from recovery_soap.soap.service import UserInformationRecoveryService
from recovery_soap.soap.types import BASE_NS, SERVICE_NS, VerificationBean

PACKAGE = pathlib.Path(recovery_soap.core.__file__).resolve().parents[1]
#: Libraries of the wire and the store: the core must stay plain Python without them.
NOT_IN_CORE = {"spyne", "sqlalchemy", "alembic", "lxml", "psycopg", "waitress", "gunicorn"}
#: The legacy error codes (BEHAVIOUR.md, "Error codes").
LEGACY_CODES = {"18001", "18002", "18003", "18004", "18013", "18014", "18015", "18016", "17002"}


def module_name(path: pathlib.Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_in(source: str, package: str) -> set[str]:
    """Every module a source imports, anywhere in it (functions included), made absolute."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level:
            parts = package.split(".")
            base = ".".join(parts[: len(parts) - node.level + 1])
            found.add(f"{base}.{node.module}" if node.module else base)
        elif isinstance(node, ast.ImportFrom):
            found.add(node.module or "")
    return found


def imports_of(path: pathlib.Path) -> set[str]:
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    return imports_in(path.read_text(), package)


def top(module: str) -> str:
    return module.split(".")[0]


SOURCES = sorted(PACKAGE.rglob("*.py"))
CORE_SOURCES = [p for p in SOURCES if p.parent.name == "core"]


def test_sources_are_found() -> None:
    assert len(CORE_SOURCES) >= 10
    assert PACKAGE / "soap" / "service.py" in SOURCES


def test_import_parser_sees_every_form() -> None:
    """The checks below are only as good as this parser: absolute, from, relative, nested."""
    source = (
        "import a.b, os\nfrom c import d\nfrom . import e\nfrom .f import g\n"
        "from ..soap import h\ndef i():\n    import spyne\n"
    )
    assert imports_in(source, "recovery_soap.core") == {
        "a.b",
        "os",
        "c",
        "recovery_soap.core",
        "recovery_soap.core.f",
        "recovery_soap.soap",
        "spyne",
    }


@pytest.mark.parametrize("path", CORE_SOURCES, ids=lambda p: p.name)
def test_core_uses_no_wire_or_store_library(path: pathlib.Path) -> None:
    assert not {top(m) for m in imports_of(path)} & NOT_IN_CORE


@pytest.mark.parametrize("path", CORE_SOURCES, ids=lambda p: p.name)
def test_core_imports_nothing_above_it(path: pathlib.Path) -> None:
    """Requests flow wire -> core -> store; the core reaches the store only through ports."""
    ours = {m for m in imports_of(path) if top(m) == "recovery_soap"}
    assert all(m == "recovery_soap.core" or m.startswith("recovery_soap.core.") for m in ours), ours


def test_only_the_soap_package_imports_spyne() -> None:
    importers = {
        str(path.relative_to(PACKAGE))
        for path in SOURCES
        if any(top(m) == "spyne" for m in imports_of(path))
    }
    assert importers, "spyne is imported nowhere: the scan is broken"
    assert {p for p in importers if not p.startswith("soap/")} == set()


#: Besides store/, only the reader of a foreign WSO2 database may use SQLAlchemy.
SQL_ALLOWED = {"importer/wso2.py"}


def sqlalchemy_importers() -> set[str]:
    return {
        path.relative_to(PACKAGE).as_posix()
        for path in SOURCES
        if any(top(m) == "sqlalchemy" for m in imports_of(path))
    }


def test_only_the_store_imports_sqlalchemy() -> None:
    importers = sqlalchemy_importers()
    assert "store/uow.py" in importers, "sqlalchemy is imported nowhere: the scan is broken"
    outside = {p for p in importers if not p.startswith("store/") and p not in SQL_ALLOWED}
    assert outside == set()


@pytest.mark.parametrize("face", ["soap", "rest", "pages", "cli"])
def test_faces_reach_the_store_only_through_the_composition_root(face: str) -> None:
    """The SOAP and REST faces, the pages and the command line are given their store objects
    (app.py, composition.py)."""
    sources = [p for p in SOURCES if p.relative_to(PACKAGE).parts[0] == face]
    assert sources, f"no sources found for {face}/"
    importing = {
        p.relative_to(PACKAGE).as_posix(): sorted(
            m
            for m in imports_of(p)
            if m == "recovery_soap.store" or m.startswith("recovery_soap.store.")
        )
        for p in sources
    }
    assert {p: found for p, found in importing.items() if found} == {}


def is_type_checking(node: ast.stmt) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def module_level_imports(source: str, package: str, modules: set[str]) -> set[str]:
    """The package's modules a source imports when it is loaded: top-level statements (and
    those in a top-level if or try), not function bodies nor ``if TYPE_CHECKING`` blocks. A
    ``from package import module`` counts as importing that module."""
    found: set[str] = set()
    pending = list(ast.parse(source).body)
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.If, ast.Try)) and not is_type_checking(node):
            for block in ("body", "orelse", "finalbody"):
                pending.extend(getattr(node, block, []))
            pending.extend(s for h in getattr(node, "handlers", []) for s in h.body)
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = imports_in(ast.unparse(node), package).pop()
            names = {f"{base}.{alias.name}" for alias in node.names}
            found |= (names & modules) or {base}
    return found & modules


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle as [a, b, ..., a], or [] when there is none."""
    done: set[str] = set()
    for start in sorted(graph):
        path, on_path = [start], {start}
        stack = [iter(sorted(graph.get(start, ())))]
        while stack:
            step = next(stack[-1], None)
            if step is None:
                stack.pop()
                finished = path.pop()
                done.add(finished)
                on_path.discard(finished)
            elif step in on_path:
                return [*path[path.index(step) :], step]
            elif step not in done:
                path.append(step)
                on_path.add(step)
                stack.append(iter(sorted(graph.get(step, ()))))
    return []


def test_cycle_finder_finds_a_cycle() -> None:
    """The check below is only as good as this finder."""
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) == []
    modules = {"p.a", "p.b", "p.c"}
    source = "from p import a, x\nif TYPE_CHECKING:\n    import p.c\ndef f():\n    import p.b\n"
    assert module_level_imports(source, "p", modules) == {"p.a"}


def test_no_import_cycle_in_the_package() -> None:
    modules = {module_name(p) for p in SOURCES}
    graph = {
        module_name(p): module_level_imports(
            p.read_text(),
            module_name(p) if p.name == "__init__.py" else module_name(p).rpartition(".")[0],
            modules,
        )
        - {module_name(p)}
        for p in SOURCES
    }
    assert sum(map(len, graph.values())) > 100, "the import graph is nearly empty: scan broken"
    cycle = find_cycle(graph)
    assert not cycle, "import cycle: " + " -> ".join(cycle)


# --- every core error has a wire answer ---------------------------------------------------


def load_core() -> None:
    for info in pkgutil.walk_packages(recovery_soap.core.__path__, "recovery_soap.core."):
        importlib.import_module(info.name)


def subclasses(base: type) -> list[type]:
    load_core()
    found: list[type] = []
    pending = list(base.__subclasses__())
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return sorted(found, key=lambda c: c.__name__)


RECOVERY_ERRORS = subclasses(RecoveryError)
REFUSALS = subclasses(RequestRefused)
OPERATIONS = sorted(UserInformationRecoveryService.public_methods)


def test_error_tree_is_complete() -> None:
    assert len(RECOVERY_ERRORS) >= 12 and len(REFUSALS) >= 3
    assert len(OPERATIONS) == 16


def core_exceptions() -> list[type]:
    load_core()
    found = {
        cls
        for info in pkgutil.walk_packages(recovery_soap.core.__path__, "recovery_soap.core.")
        for _, cls in inspect.getmembers(importlib.import_module(info.name), inspect.isclass)
        if issubclass(cls, BaseException) and cls.__module__.startswith("recovery_soap.core")
    }
    return sorted(found, key=lambda c: f"{c.__module__}.{c.__name__}")


@pytest.mark.parametrize(
    "cls", [c for c in core_exceptions() if c is not RecoverySoapError], ids=lambda c: c.__name__
)
def test_every_core_exception_has_a_mapped_root(cls: type) -> None:
    """What a use case raises is mapped; StoreConflict the use cases translate themselves.
    (The product's root is never raised: a test below pins that.)"""
    assert issubclass(cls, (RecoveryError, RequestRefused, Unavailable, StoreConflict))


def test_core_errors_live_in_the_errors_module() -> None:
    assert {cls.__module__ for cls in core_exceptions()} == {errors.__name__}


#: Modules that only run inside another tool: Alembic's environment script, and gunicorn's
#: settings (loading them sets the process's metrics directory, which later servers inherit).
NOT_IMPORTABLE = {"recovery_soap.store.migrations.env", "recovery_soap.gunicorn_settings"}


def product_exceptions() -> list[type]:
    """Every exception class defined at module level anywhere in the package."""
    import recovery_soap

    found: set[type] = set()
    for info in pkgutil.walk_packages(recovery_soap.__path__, "recovery_soap."):
        if info.name in NOT_IMPORTABLE or info.name.endswith(".__main__"):
            continue  # a __main__ module runs its command when imported
        module = importlib.import_module(info.name)
        found |= {
            cls
            for _, cls in inspect.getmembers(module, inspect.isclass)
            if issubclass(cls, BaseException)
            and cls.__module__ == info.name
            # A spyne Fault is the wire's own answer, raised and written by spyne.
            and not issubclass(cls, Fault)
        }
    return sorted(found, key=lambda c: f"{c.__module__}.{c.__name__}")


PRODUCT_EXCEPTIONS = product_exceptions()


def test_product_exceptions_are_found() -> None:
    modules = {cls.__module__ for cls in PRODUCT_EXCEPTIONS}
    assert {"recovery_soap.config.validation", "recovery_soap.rest.bearer"} <= modules


@pytest.mark.parametrize(
    "cls",
    PRODUCT_EXCEPTIONS,
    ids=lambda c: f"{c.__module__.removeprefix('recovery_soap.')}.{c.__name__}",
)
def test_every_product_exception_derives_from_the_one_root(cls: type) -> None:
    assert issubclass(cls, RecoverySoapError), f"{cls.__module__}.{cls.__name__}"


def test_no_exception_class_is_nested() -> None:
    """An exception class inside a function or a class would escape the root check above."""
    nested = [
        f"{path.relative_to(PACKAGE)}:{inner.lineno}"
        for path in SOURCES
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        for inner in ast.walk(node)
        if inner is not node
        and isinstance(inner, ast.ClassDef)
        and any(_names_an_error(base) for base in inner.bases)
    ]
    assert not nested


def _names_an_error(base: ast.expr) -> bool:
    name = base.attr if isinstance(base, ast.Attribute) else getattr(base, "id", "")
    return name.endswith(("Error", "Exception", "Failure", "Refused", "Fault"))


def test_the_root_is_never_raised_itself() -> None:
    raised = [
        f"{path.relative_to(PACKAGE)}:{node.lineno}"
        for path in SOURCES
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Raise)
        and isinstance(node.exc, ast.Call)
        and getattr(node.exc.func, "id", getattr(node.exc.func, "attr", "")) == "RecoverySoapError"
    ]
    assert not raised


def test_errors_module_draws_its_tree() -> None:
    drawn = set(re.findall(r"^\s*(?:[│├└─ ]+)?(\w+)", errors.__doc__ or "", re.MULTILINE))
    defined = {
        name
        for name, cls in inspect.getmembers(errors, inspect.isclass)
        if issubclass(cls, BaseException) and cls.__module__ == errors.__name__
    }
    assert defined <= drawn, defined - drawn


@pytest.mark.parametrize("cls", RECOVERY_ERRORS, ids=lambda c: c.__name__)
def test_every_recovery_error_declares_a_legacy_code(cls: type[RecoveryError]) -> None:
    # Codes are shared by design (the legacy contract reuses 18013, 18016, 17002), so each
    # class must declare its own rather than all be distinct.
    assert "code" in vars(cls), f"{cls.__name__} inherits its code"
    assert re.fullmatch(r"\d{5}", cls.code)
    assert cls.code in LEGACY_CODES
    assert cls("message").wire_text == f"{cls.code} message"


@pytest.mark.parametrize("bean_type", list(convert.ERROR_BEANS), ids=lambda t: t.__name__)
@pytest.mark.parametrize("cls", RECOVERY_ERRORS, ids=lambda c: c.__name__)
def test_error_bean_carries_the_code(cls: type[RecoveryError], bean_type: type) -> None:
    bean = convert.error_bean(bean_type, cls("Something went wrong for : probe"))
    assert isinstance(bean, bean_type)
    assert bean.error == f"{cls.code} Something went wrong for : probe"
    if bean_type is VerificationBean:
        assert bean.verified is False and bean.key is None


def test_operations_without_an_error_bean_are_known() -> None:
    """Every operation either answers failures in its bean or is one of the list/captcha ones."""
    without = {
        name
        for name in OPERATIONS
        if convert.error_bean(return_type(name), RecoveryError("x")) is None
    }
    assert without == {"getCaptcha", "getAllChallengeQuestions", "getUserIdentitySupportedClaims"}


def return_type(operation: str) -> type:
    kind = UserInformationRecoveryService.public_methods[operation].out_message._type_info["return"]
    return getattr(kind, "__orig__", None) or kind


@pytest.fixture(scope="module")
def application() -> RecoveryApplication:
    return RecoveryApplication(
        [UserInformationRecoveryService],
        tns=SERVICE_NS,
        name="UserInformationRecoveryService",
        in_protocol=SafeSoap11(),
        out_protocol=SafeSoap11(),
    )


def answer(
    application: RecoveryApplication,
    operation: str,
    error: BaseException,
    monkeypatch: pytest.MonkeyPatch,
) -> object:
    """What RecoveryApplication.call_wrapper makes of ``error`` raised by ``operation``."""

    def raising(self: Application, ctx: object) -> None:
        raise error

    monkeypatch.setattr(Application, "call_wrapper", raising)
    ctx = SimpleNamespace(descriptor=UserInformationRecoveryService.public_methods[operation])
    try:
        return application.call_wrapper(ctx)
    except Fault as fault:
        return fault


def error_code(fault: Fault) -> str | None:
    return fault.detail.findtext(f".//{{{BASE_NS}}}errorCode")


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize("cls", [RecoveryError, *RECOVERY_ERRORS], ids=lambda c: c.__name__)
def test_recovery_error_becomes_a_bean_or_a_coded_server_fault(
    application, monkeypatch, cls: type[RecoveryError], operation: str
) -> None:
    error = cls("probe failure")
    result = answer(application, operation, error, monkeypatch)
    if isinstance(result, Fault):
        assert convert.error_bean(return_type(operation), error) is None
        assert result.faultcode == "Server"
        assert result.faultstring == error.wire_text
        assert error_code(result) == cls.code
    else:
        assert isinstance(result, return_type(operation))
        assert result.error == error.wire_text


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize("cls", REFUSALS, ids=lambda c: c.__name__)
def test_refusal_becomes_a_client_fault(
    application, monkeypatch, cls: type[RequestRefused], operation: str
) -> None:
    result = answer(application, operation, cls("not for you"), monkeypatch)
    assert isinstance(result, Fault)
    # A request missing a required part is malformed: Client.BadRequest, answered with 400.
    assert result.faultcode == ("Client.BadRequest" if cls is BadRequest else "Client")
    assert result.faultstring == "not for you"
    assert result.detail.tag == f"{{{SERVICE_NS}}}UserInformationRecoveryService" + (
        "IdentityException"
        if operation == "getUserIdentitySupportedClaims"
        else "IdentityMgtServiceException"
    )


@pytest.mark.parametrize("operation", ["verifyUser", "getCaptcha"])
def test_unavailable_store_is_a_server_fault(application, monkeypatch, operation: str) -> None:
    result = answer(application, operation, Unavailable("db down at 10.0.0.5"), monkeypatch)
    assert isinstance(result, Fault)
    assert result.faultcode == "Server"
    assert "10.0.0.5" not in result.faultstring
    assert error_code(result) == "18014"


@pytest.mark.parametrize(
    "error",
    [KeyError("users.password_hash"), StoreConflict("duplicate key"), ZeroDivisionError()],
    ids=lambda e: type(e).__name__,
)
def test_anything_else_is_a_generic_server_fault(application, monkeypatch, error) -> None:
    result = answer(application, "verifyUser", error, monkeypatch)
    assert isinstance(result, Fault)
    assert (result.faultcode, result.faultstring) == ("Server", UNEXPECTED)
    assert error_code(result) == "18013"
