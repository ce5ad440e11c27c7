"""The Docker files without a Docker engine: compose validated by docker-compose v1, and the
Dockerfile's CMD and HEALTHCHECK run here as the commands they are, against a real server."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
import yaml
from conftest import free_port, start_server
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from mock_bankid.core.settings import ENV_PREFIX, PROJECT_ROOT, setting_fields

DOCKERFILE = PROJECT_ROOT / "Dockerfile"
CONSTRAINTS = PROJECT_ROOT / "constraints.txt"
COMPOSE = PROJECT_ROOT / "docker-compose.yml"
SETTING_NAMES = {ENV_PREFIX + f.name.upper() for f in setting_fields()}


def dockerfile_instructions(path: Path = DOCKERFILE) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the final stage, continuation lines joined, comments dropped."""
    logical, current = [], ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        logical.append(current + line)
        current = ""
    stages: list[list[tuple[str, str]]] = []
    for line in logical:
        name, _, args = line.partition(" ")
        if name.upper() == "FROM":
            stages.append([])
        stages[-1].append((name.upper(), args.strip()))
    return stages[-1]


def exec_form(args: str) -> list[str]:
    value = json.loads(args)
    assert isinstance(value, list) and all(isinstance(x, str) for x in value), "use the exec (JSON) form"
    return value


def instruction(name: str) -> list[str]:
    return [args for n, args in dockerfile_instructions() if n == name]


def dockerfile_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for args in instruction("ENV"):
        for pair in shlex.split(args):
            key, _, value = pair.partition("=")
            env[key] = value
    return env


def as_local(command: list[str]) -> list[str]:
    """``mock-bankid ...`` is the console script pyproject.toml declares; run it from this checkout."""
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    assert project["project"]["scripts"][command[0]] == "mock_bankid.cli:main"
    return [sys.executable, "-m", "mock_bankid.cli", *command[1:]]


# --- Dockerfile ----------------------------------------------------------------------------
def test_dockerfile_runs_as_a_non_root_user_with_volumes_for_keys_and_data() -> None:
    names = [n for n, _ in dockerfile_instructions()]
    assert names.index("USER") < names.index("CMD")
    assert instruction("USER")[-1] not in ("root", "0")
    env = dockerfile_env()
    assert set(exec_form(instruction("VOLUME")[-1])) == {env["MOCK_BANKID_DATA_DIR"], env["MOCK_BANKID_KEYS_DIR"]}
    assert {k for k in env if k.startswith(ENV_PREFIX)} <= SETTING_NAMES
    assert instruction("FROM")[-1].startswith("python:3.11-slim")
    assert any("pip install" in args for args in instruction("RUN"))


def test_dockerfile_pins_uid_and_gid() -> None:
    """A volume's owner is the same whichever machine built the image (both ids fixed)."""
    assert instruction("USER")[-1] == "10001:10001"
    setup = " ".join(args for args in instruction("RUN") if "useradd" in args)
    assert "groupadd --system --gid 10001 mockbankid" in setup and "--uid 10001 --gid 10001" in setup


# --- constraints.txt: what the image installs, pinned ----------------------------------------
def pins() -> dict[str, str]:
    out = {}
    for line in CONSTRAINTS.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, sep, version = line.partition("==")
            assert sep and re.fullmatch(r"[\w.!+]+", version), f"constraints.txt: {line!r} is not name==version"
            out[canonicalize_name(name)] = version
    return out


def image_requirements() -> list[Requirement]:
    """What the image installs: the runtime dependencies and the [redis] extra (Dockerfile)."""
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    return [Requirement(spec) for spec in [*project["dependencies"], *project["optional-dependencies"]["redis"]]]


def test_the_image_installs_with_the_constraints() -> None:
    install = [args for args in instruction("RUN") if "pip install" in args]
    assert install and all("-c /wheels/constraints.txt" in args for args in install), install
    assert any(args.startswith("constraints.txt ") for args in instruction("COPY")), instruction("COPY")
    assert "constraints.txt" not in (PROJECT_ROOT / ".dockerignore").read_text().split()


def test_constraints_pin_every_runtime_dependency_within_its_range() -> None:
    """Fails when pyproject.toml gains a dependency or narrows a range: run `make constraints`."""
    pinned = pins()
    for requirement in image_requirements():
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{requirement.name} is not in constraints.txt: run `make constraints`"
        assert requirement.specifier.contains(pinned[name], prereleases=True), (
            f"constraints.txt pins {requirement.name}=={pinned[name]}, outside pyproject.toml's "
            f"{requirement.specifier}: run `make constraints`")


def test_constraints_pin_what_the_dependencies_pull_in() -> None:
    """Every package a pinned package requires (as installed here, for this platform) is pinned too."""
    pinned = pins()
    missing = set()
    for name in pinned:
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue  # not installed in this environment: its own pin is all we can check
        for spec in requires:
            requirement = Requirement(spec)
            applies = requirement.marker is None or requirement.marker.evaluate({"extra": ""})
            if applies and canonicalize_name(requirement.name) not in pinned:
                missing.add(f"{requirement.name} (for {name})")
    assert not missing, f"not pinned in constraints.txt: {sorted(missing)}; run `make constraints`"


def container_engine() -> str | None:
    """docker or podman, when its daemon or service answers here."""
    for engine in ("docker", "podman"):
        if shutil.which(engine) and subprocess.run([engine, "info"], capture_output=True,
                                                    timeout=30).returncode == 0:
            return engine
    return None


@pytest.mark.docker
def test_the_built_image_serves_with_its_healthcheck_and_pins() -> None:
    """scripts/image-test (`make image-test`): build the image, run it, check it. Slow; needs an engine."""
    engine = container_engine()
    if engine is None:
        pytest.skip("no container engine answers here (`docker info` and `podman info` fail): "
                    "the image itself is checked by `make image-test` where Docker or podman runs")
    run = subprocess.run([str(PROJECT_ROOT / "scripts" / "image-test")], capture_output=True, text=True,
                         timeout=1800, env={**os.environ, "ENGINE": engine, "PORT": str(free_port())})
    assert run.returncode == 0, run.stdout + run.stderr
    assert "image-test: ok" in run.stdout


@pytest.mark.e2e
def test_dockerfile_cmd_serves_and_its_healthcheck_passes(tmp_path: Path) -> None:
    cmd = exec_form(instruction("CMD")[-1])
    assert cmd[:2] == ["mock-bankid", "serve"] and "--allow-public-bind" in cmd
    health = exec_form(instruction("HEALTHCHECK")[-1].split("CMD", 1)[1].strip())
    # The image binds 0.0.0.0 inside its own network namespace; here the same command binds loopback.
    host_at = cmd.index("--host") + 1
    args = [*cmd[2:host_at], "127.0.0.1", *cmd[host_at + 1:]]
    env = {k: v for k, v in dockerfile_env().items()
           if k not in ("MOCK_BANKID_DATA_DIR", "MOCK_BANKID_KEYS_DIR", "MOCK_BANKID_FIXTURES_DIR",
                        "MOCK_BANKID_PORT", "MOCK_BANKID_BASE_URL")}
    server = start_server(tmp_path, workers=2, args=args, env=env)
    try:
        probe = subprocess.run(as_local(health), env=server.env, capture_output=True, text=True, timeout=30)
        assert probe.returncode == 0, probe.stdout + probe.stderr
        ready = subprocess.run(as_local([*health, "--ready"]), env=server.env, capture_output=True, text=True,
                               timeout=30)
        assert ready.returncode == 0 and '"store": "ok"' in ready.stdout, ready.stdout + ready.stderr
    finally:
        server.stop()
    down = subprocess.run(as_local(health), env=server.env, capture_output=True, text=True, timeout=30)
    assert down.returncode == 1, down.stdout + down.stderr


@pytest.mark.forks
def test_public_bind_without_the_flag_is_refused(tmp_path: Path) -> None:
    cmd = exec_form(instruction("CMD")[-1])
    without_flag = [a for a in cmd if a != "--allow-public-bind"]
    out = subprocess.run([*as_local(without_flag), "--port", str(free_port())], capture_output=True, text=True,
                         timeout=30, cwd=tmp_path, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(PROJECT_ROOT),
                                                        "MOCK_BANKID_DATA_DIR": str(tmp_path / "d"),
                                                        "MOCK_BANKID_KEYS_DIR": str(tmp_path / "k")})
    assert out.returncode != 0 and "refusing to bind 0.0.0.0" in out.stderr
    assert not (tmp_path / "k").exists()  # refused before anything was created


# --- docker-compose.yml --------------------------------------------------------------------
def compose(*args: str) -> subprocess.CompletedProcess:
    binary = shutil.which("docker-compose")
    if binary is None:
        pytest.skip("docker-compose (v1) is not installed: apt-get install docker-compose (scripts/setup-test does)")
    return subprocess.run([binary, "-f", str(COMPOSE), *args], capture_output=True, text=True, timeout=60,
                          cwd=PROJECT_ROOT)


@pytest.mark.docker
def test_compose_file_is_valid() -> None:
    for args in (["config", "-q"], ["--profile", "redis", "config", "-q"]):
        out = compose(*args)
        assert out.returncode == 0, out.stderr


@pytest.mark.docker
def test_compose_gives_one_issuer_and_a_backchannel_by_service_name() -> None:
    out = compose("--profile", "redis", "config")
    assert out.returncode == 0, out.stderr
    config = yaml.safe_load(out.stdout)
    services = config["services"]
    assert set(services) == {"mock-bankid", "redis", "mock-bankid-redis"}
    assert "profiles" not in services["mock-bankid"]
    assert services["redis"]["profiles"] == ["redis"] and services["mock-bankid-redis"]["profiles"] == ["redis"]
    assert services["mock-bankid"]["build"]  # the image is built once, by this service
    assert "build" not in services["mock-bankid-redis"] and services["mock-bankid-redis"]["pull_policy"] == "never"
    assert services["mock-bankid-redis"]["image"] == services["mock-bankid"]["image"]
    for name, port in (("mock-bankid", 8080), ("mock-bankid-redis", 8081)):
        env = services[name]["environment"]
        assert set(env) <= SETTING_NAMES
        assert env["MOCK_BANKID_BASE_URL"] == f"http://localhost:{port}"
        assert env["MOCK_BANKID_BACKCHANNEL_BASE_URL"] == f"http://{name}:8080"
        # v1 prints short forms: "keys:/keys:rw" and "127.0.0.1:8080:8080/tcp"
        mounts = {v.split(":")[1]: v.split(":")[0] for v in services[name]["volumes"]}
        assert mounts["/keys"] == "keys" and "/data" in mounts
        assert services[name]["ports"] == [f"127.0.0.1:{port}:8080/tcp"]  # the host's loopback only
    assert services["mock-bankid-redis"]["environment"]["MOCK_BANKID_STORE"] == "redis://redis:6379/0"
    assert "redis" in services["mock-bankid-redis"]["depends_on"]
