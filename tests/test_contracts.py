"""The contracts between subgraphs: every message survives its wire format, an unknown contract
version is refused, every topic has its consumers, and no subgraph imports another."""

from __future__ import annotations

import ast
import importlib
import json
import pkgutil
import types
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import pytest
from pydantic import AwareDatetime, BaseModel, ValidationError

import astro.contracts
from astro.contracts import CONTRACTS, parse
from astro.contracts.bookings import BookingCancelled, BookingConfirmed, BookingRejected
from astro.contracts.jobs import NOTIFY_EVENT, TOPIC_JOBS, job_id, queue_for
from astro.contracts.launches import LaunchScheduled
from astro.contracts.message import Message
from astro.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SUBGRAPHS = ROOT / "subgraphs"


def _sample(annotation: Any, name: str) -> Any:
    """A valid value of ``annotation`` (every optional part filled, so it is exercised too)."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _sample(get_args(annotation)[0], name)
    if origin is Literal:
        return get_args(annotation)[0]
    if origin in (Union, types.UnionType):
        return _sample(next(arg for arg in get_args(annotation) if arg is not type(None)), name)
    if origin is tuple:
        return (_sample(get_args(annotation)[0], name),) * 2
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation.model_validate(
            {
                field: _sample(info.annotation, field)
                for field, info in annotation.model_fields.items()
            }
        )
    values: dict[Any, Any] = {
        str: f"{name}-value",
        int: 1,
        bool: True,
        Decimal: Decimal("1250000.50"),
        datetime: datetime(2027, 5, 1, 14, 0, 0, 123456, tzinfo=UTC),
        AwareDatetime: datetime(2027, 5, 1, 14, 0, 0, 123456, tzinfo=UTC),
        date: date(1990, 5, 17),
        uuid.UUID: uuid.UUID("0b6f6a7e-3c1d-4d53-9a51-5b0f7e2d9c11"),
    }
    if annotation in values:
        return values[annotation]
    raise AssertionError(f"no sample for {annotation!r} ({name}): teach _sample this type")


def sample(contract: type[Message]) -> Message:
    message = _sample(contract, contract.__name__)
    assert isinstance(message, contract)
    return message


def _every_message_class() -> set[type[Message]]:
    for module in pkgutil.iter_modules(astro.contracts.__path__):
        importlib.import_module(f"astro.contracts.{module.name}")
    found: set[type[Message]] = set()
    todo = list(Message.__subclasses__())
    while todo:
        cls = todo.pop()
        found.add(cls)
        todo += cls.__subclasses__()
    return {cls for cls in found if cls.__module__.startswith("astro.contracts.")}


def test_every_contract_in_the_package_is_listed_by_its_topic() -> None:
    assert set(CONTRACTS.values()) == _every_message_class()
    assert all(topic == contract.TOPIC and topic for topic, contract in CONTRACTS.items())


@pytest.mark.parametrize("contract", list(CONTRACTS.values()), ids=list(CONTRACTS))
def test_a_message_survives_its_json_wire_format(contract: type[Message]) -> None:
    message = sample(contract)

    wire = json.loads(json.dumps(message.payload()))

    assert wire["contract_version"] == 1 and wire["topic"] == contract.TOPIC
    assert contract.model_validate(wire) == message
    assert parse(wire) == message


@pytest.mark.parametrize("contract", list(CONTRACTS.values()), ids=list(CONTRACTS))
def test_a_payload_of_an_unknown_contract_version_is_refused_by_name(
    contract: type[Message],
) -> None:
    wire = sample(contract).payload() | {"contract_version": 2}

    with pytest.raises(ValidationError) as refused:
        contract.model_validate(wire)

    assert f"unknown contract_version 2 of {contract.TOPIC}" in str(refused.value)
    assert "reads version 1" in str(refused.value)


@pytest.mark.parametrize("contract", list(CONTRACTS.values()), ids=list(CONTRACTS))
def test_a_payload_written_before_contract_versions_reads_as_version_1(
    contract: type[Message],
) -> None:
    wire = sample(contract).payload()
    del wire["contract_version"]

    assert contract.model_validate(wire).contract_version == 1


@pytest.mark.parametrize("contract", list(CONTRACTS.values()), ids=list(CONTRACTS))
def test_every_topic_goes_to_its_consumers_and_is_in_the_contracts_table(
    contract: type[Message],
) -> None:
    assert TOPIC_JOBS[contract.TOPIC]
    table = (ROOT / "docs" / "contracts.md").read_text()
    assert f"`{contract.TOPIC}`" in table


def test_ledger_rows_written_before_the_notifications_still_read() -> None:
    launch = sample(LaunchScheduled).payload()["launch"]
    old_rows = [
        {"event_id": "e1", "topic": "launch.scheduled", "launch": launch},
        {"event_id": "e2", "topic": "booking.confirmed", "booking_id": "b", "launch_id": "l"},
    ]

    parsed = [parse(row, LaunchScheduled, BookingConfirmed) for row in old_rows]

    assert [message.topic for message in parsed] == ["launch.scheduled", "booking.confirmed"]
    assert all(message.contract_version == 1 for message in parsed)


def test_money_and_instants_keep_the_wire_format_of_the_stores() -> None:
    message = sample(BookingConfirmed)

    wire = message.payload()

    assert wire["total"] == "1250000.50"
    assert wire["launch"]["launch_date"] == "2027-05-01T14:00:00.123456+00:00"
    with pytest.raises(ValidationError, match="decimal string, not a float"):
        BookingConfirmed.model_validate(wire | {"total": 1250000.5})


def test_a_consumer_reads_only_the_topics_it_takes() -> None:
    rejected = sample(BookingRejected).payload()

    assert isinstance(parse(rejected, BookingConfirmed, BookingRejected), BookingRejected)
    with pytest.raises(ValidationError):
        parse(rejected, LaunchScheduled)
    with pytest.raises(ValidationError):
        parse(rejected | {"topic": "booking.teleported"}, BookingConfirmed, BookingCancelled)


def test_job_ids_name_the_event_then_the_consumer_publication_and_recipient() -> None:
    confirmed = BookingConfirmed.TOPIC

    assert job_id(confirmed, "e1", "apply_booking_event") == "event:e1"
    assert job_id(confirmed, "e1", NOTIFY_EVENT) == "event:e1:notify_event"
    assert job_id("booking.requested", "e2", "record_booking", publication=3) == "event:e2:3"
    assert job_id("launch.vip_announcement", "e3", NOTIFY_EVENT, recipient="c1") == "event:e3:to:c1"


def test_only_notifications_go_to_the_notification_queue() -> None:
    settings = Settings(queue_name="q", notification_queue_name="q:mail")

    assert {job: queue_for(job, settings) for jobs in TOPIC_JOBS.values() for job in jobs} == {
        "apply_launch_event": "q",
        "apply_booking_event": "q",
        "record_booking": "q",
        "record_cancellation": "q",
        "notify_event": "q:mail",
    }


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def test_no_subgraph_imports_another() -> None:
    subgraphs = sorted(path.name for path in SUBGRAPHS.iterdir() if (path / "__init__.py").exists())
    assert set(subgraphs) >= {"admin", "customer", "system"}
    crossings = [
        f"{path.relative_to(ROOT)} imports {name}"
        for subgraph in subgraphs
        for path in sorted((SUBGRAPHS / subgraph).rglob("*.py"))
        for name in sorted(_imported_modules(path))
        if any(
            name == f"subgraphs.{other}" or name.startswith(f"subgraphs.{other}.")
            for other in subgraphs
            if other != subgraph
        )
    ]
    assert crossings == []


def test_the_shared_messaging_core_imports_no_subgraph() -> None:
    shared = [*sorted((ROOT / "astro" / "contracts").glob("*.py")), ROOT / "astro" / "outbox.py"]
    crossings = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in shared
        for name in sorted(_imported_modules(path))
        if name.startswith("subgraphs")
    ]
    assert crossings == []
