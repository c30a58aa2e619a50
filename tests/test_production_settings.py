"""Production refuses to start on development defaults: a public secret, embedded stores, no mail."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from astro.settings import DEV_JWT_SECRET, ConfigurationError, Settings
from subgraphs.system.app import create_app

STRONG = "k" * 40
PRODUCTION_READY = {
    "ASTRO_POSTGRES_URL": "postgresql://astro@db.internal:5432/astro",
    "ASTRO_MONGO_URL": "mongodb://mongo.internal:27017/?replicaSet=rs0",
    "ASTRO_REDIS_URL": "redis://redis.internal:6379/0",
    "ASTRO_SMTP_URL": "smtp://mail.internal:587",
}


def _production(**overrides: object) -> Settings:
    values: dict[str, object] = {
        "mode": "production",
        "jwt_secret": STRONG,
        "postgres_url": PRODUCTION_READY["ASTRO_POSTGRES_URL"],
        "mongo_url": PRODUCTION_READY["ASTRO_MONGO_URL"],
        "redis_url": PRODUCTION_READY["ASTRO_REDIS_URL"],
        "smtp_url": PRODUCTION_READY["ASTRO_SMTP_URL"],
    }
    values.update(overrides)
    return Settings.model_validate(values)


def test_production_with_every_setting_given_has_no_problem() -> None:
    assert _production().production_problems() == []


def test_production_names_every_setting_left_at_its_dev_default() -> None:
    problems = Settings(mode="production").production_problems()
    named = [problem.split(" ", 1)[0] for problem in problems]
    assert named == [
        "ASTRO_JWT_SECRET",
        "ASTRO_POSTGRES_URL",
        "ASTRO_MONGO_URL",
        "ASTRO_REDIS_URL",
        "ASTRO_SMTP_URL",
    ]


def test_production_refuses_the_public_dev_secret_even_when_given_explicitly() -> None:
    with pytest.raises(ConfigurationError, match="ASTRO_JWT_SECRET is not set"):
        _production(jwt_secret=DEV_JWT_SECRET).check_production_ready()


def test_production_refuses_a_short_secret() -> None:
    with pytest.raises(ConfigurationError, match="ASTRO_JWT_SECRET is 6 characters long"):
        _production(jwt_secret="secret").check_production_ready()


def test_dev_mode_runs_on_its_defaults() -> None:
    Settings(mode="dev").check_production_ready()


def test_a_subgraph_app_refuses_the_dev_secret_in_production() -> None:
    with pytest.raises(ConfigurationError, match="ASTRO_JWT_SECRET"):
        create_app(_production(jwt_secret=DEV_JWT_SECRET))


@pytest.mark.parametrize(
    "command",
    [["gateway"], ["subgraph", "system"], ["subgraph", "admin"], ["worker"], ["seed"]],
    ids=" ".join,
)
def test_every_process_refuses_to_start_in_production_without_a_secret(
    command: list[str],
) -> None:
    env = {name: value for name, value in os.environ.items() if not name.startswith("ASTRO_")}
    env.update(PRODUCTION_READY, ASTRO_MODE="production")
    done = subprocess.run(
        [sys.executable, "-m", "astroctl.cli", *command],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert "ASTRO_MODE=production refuses to start" in done.stderr
    assert "ASTRO_JWT_SECRET is not set" in done.stderr
    assert "ASTRO_POSTGRES_URL" not in done.stderr  # only what is missing is named
