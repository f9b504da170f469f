"""The catalogue: versioned data files, validated on load with errors naming the file and
the field; fee tables in đồng that depend on the answers; e-form validation."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from nentang.publicservices.catalogue import (
    PROCEDURES,
    WORKFLOWS,
    CatalogueError,
    catalogue_load,
)

ROLES = ["enrolment", "identity_admin", "reception", "processing", "approval"]


def load(directory: Path | None = None, workflows: Path | None = None) -> Any:
    return catalogue_load(
        directory or PROCEDURES, workflows_directory=workflows or WORKFLOWS, roles=ROLES
    )


def test_the_shipped_catalogue_has_the_ten_procedures_of_the_issue() -> None:
    catalogue = load()

    slugs = {slug for slug, _ in catalogue.versions}
    assert slugs == {
        "dang-ky-khai-sinh",
        "dang-ky-khai-tu",
        "dang-ky-ket-hon",
        "dang-ky-thuong-tru",
        "dang-ky-tam-tru",
        "cap-phieu-ly-lich-tu-phap",
        "dang-ky-ho-kinh-doanh",
        "doi-giay-phep-lai-xe",
        "cap-giay-phep-xay-dung-nha-o",
        "lien-thong-khai-sinh-thuong-tru-bhyt",
    }
    bundle = catalogue.require("lien-thong-khai-sinh-thuong-tru-bhyt")
    assert (bundle.processing_days, bundle.eid_level, bundle.issues_child_id) == (3, 2, True)
    birth = catalogue.require("dang-ky-khai-sinh")
    assert birth.name.vi == "Đăng ký khai sinh"
    assert birth.display_code == "1.001193 (verify)"
    assert birth.online_level == "toan_trinh"
    assert catalogue.require("dang-ky-tam-tru").eid_level == 1


def test_the_role_of_every_step_is_an_identity_role(db: None) -> None:
    from nentang.publicservices.catalogue import identity_roles

    assert {"reception", "processing", "approval"} <= set(identity_roles())
    catalogue = catalogue_load()
    roles = {s.role for p in catalogue.versions.values() for s in p.workflow.states.values()}
    assert roles - {""} == {"reception", "processing", "approval"}


@pytest.mark.parametrize(
    ("answers", "fee"),
    [
        ({"applicant_group": "general", "copies": 1}, 200_000),
        ({"applicant_group": "general", "copies": 2}, 200_000),
        ({"applicant_group": "general", "copies": 5}, 215_000),
        ({"applicant_group": "student", "copies": 1}, 100_000),
        ({"applicant_group": "merit", "copies": 3}, 105_000),
    ],
)
def test_the_judicial_record_fee_depends_on_the_group_and_the_copies(
    answers: dict[str, Any], fee: int
) -> None:
    procedure = load().require("cap-phieu-ly-lich-tu-phap")

    assert procedure.fee_for(answers) == fee


def test_a_free_procedure_charges_nothing() -> None:
    procedure = load().require("dang-ky-khai-sinh")

    assert not procedure.has_fee
    assert procedure.fee_for({}) == 0


def test_answers_are_checked_field_by_field_in_the_order_of_the_pages() -> None:
    procedure = load().require("dang-ky-khai-sinh")

    errors = procedure.validate_answers(
        {
            "applicant_full_name": "Nguyễn Văn An",
            "applicant_id_number": "0790",
            "child_full_name": "Nguyễn Minh Khôi",
            "child_sex": "boy",
            "child_date_of_birth": "2026-02-30",
            "surprise": True,
        }
    )

    assert [(e.field, e.code) for e in errors] == [
        ("applicant_id_number", "invalid_format"),
        ("child_sex", "invalid_choice"),
        ("child_date_of_birth", "invalid_date"),
        ("place_of_birth", "required"),
        ("mother_full_name", "required"),
        ("relationship", "required"),
        ("result_delivery", "required"),
        ("surprise", "unknown"),
    ]


def test_valid_answers_have_no_errors() -> None:
    procedure = load().require("dang-ky-khai-sinh")

    assert procedure.validate_answers(BIRTH) == []
    assert procedure.validate_answers(BIRTH, only=["child_sex"]) == []


BIRTH = {
    "applicant_full_name": "Nguyễn Văn An",
    "applicant_id_number": "079090001234",
    "child_full_name": "Nguyễn Minh Khôi",
    "child_sex": "male",
    "child_date_of_birth": "2026-11-30",
    "place_of_birth": "Bệnh viện Từ Dũ, TP Hồ Chí Minh",
    "mother_full_name": "Trần Thị Mai",
    "relationship": "father",
    "result_delivery": "online",
}


# --- malformed files: the error names the file and the field --------------------------


@pytest.fixture
def copy(tmp_path: Path) -> Callable[..., tuple[Path, Path]]:
    def make(
        procedure: Callable[[dict[str, Any]], None] | None = None,
        workflow: Callable[[dict[str, Any]], None] | None = None,
        *,
        slug: str = "dang-ky-khai-sinh",
        raw_text: str | None = None,
    ) -> tuple[Path, Path]:
        procedures = tmp_path / "procedures"
        workflows = tmp_path / "workflows"
        shutil.copytree(PROCEDURES, procedures)
        shutil.copytree(WORKFLOWS, workflows)
        target = procedures / f"{slug}.v1.json"
        if raw_text is not None:
            target.write_text(raw_text, encoding="utf-8")
        if procedure is not None:
            data = json.loads(target.read_text(encoding="utf-8"))
            procedure(data)
            target.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        if workflow is not None:
            path = workflows / "mot-cua.json"
            data = json.loads(path.read_text(encoding="utf-8"))
            workflow(data)
            path.write_text(json.dumps(data), encoding="utf-8")
        return procedures, workflows

    return make


def refused(paths: tuple[Path, Path]) -> CatalogueError:
    with pytest.raises(CatalogueError) as caught:
        load(*paths)
    return caught.value


def test_a_file_that_is_not_json(copy: Callable[..., tuple[Path, Path]]) -> None:
    error = refused(copy(raw_text='{"slug": "dang-ky-khai-sinh",\n oops}'))

    assert (error.source, error.where) == ("dang-ky-khai-sinh.v1.json", "line 2")


def test_a_field_against_the_file_schema(copy: Callable[..., tuple[Path, Path]]) -> None:
    def level_three(data: dict[str, Any]) -> None:
        data["eid_level"] = 3

    error = refused(copy(level_three))

    assert (error.source, error.where) == ("dang-ky-khai-sinh.v1.json", "eid_level")


def test_a_missing_field(copy: Callable[..., tuple[Path, Path]]) -> None:
    def no_fee(data: dict[str, Any]) -> None:
        del data["fee"]

    error = refused(copy(no_fee))

    assert error.source == "dang-ky-khai-sinh.v1.json"
    assert "fee" in error.message


def test_an_invalid_json_schema_in_the_e_form(copy: Callable[..., tuple[Path, Path]]) -> None:
    def bad_type(data: dict[str, Any]) -> None:
        data["form"]["schema"]["properties"]["child_full_name"]["type"] = "text"

    error = refused(copy(bad_type))

    assert error.where.startswith("form.schema.properties.child_full_name")


def test_a_page_for_a_field_the_form_does_not_have(
    copy: Callable[..., tuple[Path, Path]],
) -> None:
    def typo(data: dict[str, Any]) -> None:
        data["form"]["pages"][2]["field"] = "child_fullname"

    error = refused(copy(typo))

    assert (error.where, error.message) == (
        "form.pages.2.field",
        "'child_fullname' is not a property of form.schema",
    )


def test_a_question_without_a_page(copy: Callable[..., tuple[Path, Path]]) -> None:
    def dropped(data: dict[str, Any]) -> None:
        data["form"]["pages"] = [p for p in data["form"]["pages"] if p["field"] != "place_of_birth"]

    error = refused(copy(dropped))

    assert error.where == "form.pages"
    assert "place_of_birth" in error.message


def test_a_fee_without_a_payment_step(copy: Callable[..., tuple[Path, Path]]) -> None:
    def charged(data: dict[str, Any]) -> None:
        data["fee"]["base"] = 8000

    error = refused(copy(charged))

    assert (error.source, error.where) == ("dang-ky-khai-sinh.v1.json", "workflow")


def test_a_transition_to_no_state(copy: Callable[..., tuple[Path, Path]]) -> None:
    def typo(data: dict[str, Any]) -> None:
        data["states"]["processing"]["actions"]["process"] = "aproval"

    error = refused(copy(workflow=typo))

    assert (error.source, error.where) == ("mot-cua.json", "states.processing.actions.process")


def test_an_unreachable_state(copy: Callable[..., tuple[Path, Path]]) -> None:
    def orphan(data: dict[str, Any]) -> None:
        data["states"]["archive"] = {"role": "processing", "actions": {"process": "completed"}}

    error = refused(copy(workflow=orphan))

    assert (error.where, error.message) == ("states.archive", "cannot be reached from 'reception'")


def test_a_loop_that_never_ends(copy: Callable[..., tuple[Path, Path]]) -> None:
    def loop(data: dict[str, Any]) -> None:
        data["states"]["approval"]["actions"]["reject"] = "check_a"
        data["states"]["check_a"] = {"role": "processing", "actions": {"process": "check_b"}}
        data["states"]["check_b"] = {"role": "processing", "actions": {"process": "check_a"}}

    error = refused(copy(workflow=loop))

    assert error.where == "states.check_a"
    assert error.message == "no terminal state can be reached from here"


def test_a_role_that_identity_does_not_know(copy: Callable[..., tuple[Path, Path]]) -> None:
    def chief(data: dict[str, Any]) -> None:
        data["states"]["approval"]["role"] = "chief"

    error = refused(copy(workflow=chief))

    assert (error.where, error.message) == (
        "states.approval.role",
        "the role 'chief' does not exist",
    )


def test_an_action_a_step_may_not_take(copy: Callable[..., tuple[Path, Path]]) -> None:
    def pay_at_reception(data: dict[str, Any]) -> None:
        data["states"]["reception"]["actions"]["fee_paid"] = "processing"

    error = refused(copy(workflow=pay_at_reception))

    assert error.where == "states.reception.actions.fee_paid"


def test_the_system_check_names_a_malformed_file(
    db: None, copy: Callable[..., tuple[Path, Path]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from nentang.publicservices import apps, catalogue

    assert apps.catalogue_check() == []

    def level_three(data: dict[str, Any]) -> None:
        data["eid_level"] = 3

    procedures, _workflows = copy(level_three)
    monkeypatch.setattr(catalogue, "PROCEDURES", procedures)
    monkeypatch.setattr(catalogue.catalogue_load, "__defaults__", (procedures,))
    [error] = apps.catalogue_check()
    assert error.id == "publicservices.E001"
    assert error.msg.startswith("dang-ky-khai-sinh.v1.json: eid_level: ")
