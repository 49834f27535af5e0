"""The package as a user installs it: a wheel, in a fresh virtual environment, outside the checkout.

An editable install reads every file from the source tree, so a data file or a
subpackage left out of the wheel goes unnoticed there. These tests build the wheel
from the files the repository holds, check that it carries every one of them, then
install it (not editable) into a new venv and run the demo and the web pages from it.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

# One process builds and installs the wheel once for the module (pytest-xdist keeps it together).
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("wheel")]

CHECKOUT = Path(__file__).resolve().parents[2]
# The packages pyproject.toml ships, and the files a build reads beside them.
PACKAGES = ("states", "db", "notifications", "flows", "taskforce")
BUILD_FILES = ("pyproject.toml", "README.md")
# Our own limits for each step, generous for a busy machine; no library default is relied on.
BUILD_SECONDS = 180
INSTALL_SECONDS = 300
DEMO_SECONDS = 180
WEB_START_SECONDS = 90


def source_files() -> list[str]:
    """Every file of the packages that git tracks or would track (ignored files left out)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "--", *PACKAGES],
        cwd=CHECKOUT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    return sorted(name for name in listed if (CHECKOUT / name).is_file())


def clean_environment() -> dict[str, str]:
    """The caller's environment without anything that points Python or taskforce elsewhere."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("TASKFORCE_", "PYTHON", "VIRTUAL_ENV", "PREFECT_"))
        and name not in ("COLUMNS", "LINES")
    }
    env["PYTHONUNBUFFERED"] = "1"  # the sample password is read line by line as it is printed
    return env


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built, as pip builds one, from a copy of the repository's files."""
    root = tmp_path_factory.mktemp("wheel")
    source = root / "source"
    for name in [*BUILD_FILES, *source_files()]:
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(CHECKOUT / name, source / name)
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--quiet",
            "-w",
            str(root),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=BUILD_SECONDS,
        check=False,
    )
    assert built.returncode == 0, f"pip wheel failed:\n{built.stdout}\n{built.stderr}"
    (found,) = root.glob("taskforce-*.whl")
    return found


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The `bin` folder of a new venv outside the checkout with the wheel installed in it."""
    venv = tmp_path_factory.mktemp("installed") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=INSTALL_SECONDS)
    bin_dir = venv / "bin"
    # Dependencies are resolved from the wheel's own metadata, as a user's install would;
    # --no-compile leaves bytecode to the first import (installing is most of this test's time).
    done = subprocess.run(
        [str(bin_dir / "python"), "-m", "pip", "install", "--quiet", "--no-compile", str(wheel)],
        env=clean_environment(),
        capture_output=True,
        text=True,
        timeout=INSTALL_SECONDS,
        check=False,
    )
    assert done.returncode == 0, f"installing the wheel failed:\n{done.stdout}\n{done.stderr}"
    return bin_dir


def test_the_wheel_holds_every_file_of_the_packages(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        shipped = set(archive.namelist())
    missing = [name for name in source_files() if name not in shipped]
    assert not missing, f"files the code reads that the wheel lacks: {missing}"


def test_the_wheel_holds_no_tests_or_benchmarks(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        tops = {name.split("/")[0] for name in archive.namelist()}
    assert {top for top in tops if not top.endswith(".dist-info")} == set(PACKAGES)


def test_the_installed_package_is_the_wheel_not_the_checkout(
    installed: Path, tmp_path: Path
) -> None:
    done = subprocess.run(
        [
            str(installed / "python"),
            "-c",
            "import taskforce.web.pages.auth as m; print(m.__file__)",
        ],
        cwd=tmp_path,
        env=clean_environment(),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    location = Path(done.stdout.strip())
    assert location.is_relative_to(installed.parent), location
    assert not location.is_relative_to(CHECKOUT)


def test_the_demo_runs_from_the_installed_wheel(installed: Path, tmp_path: Path) -> None:
    done = subprocess.run(
        [str(installed / "taskforce"), "demo"],
        cwd=tmp_path,
        env=clean_environment(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=DEMO_SECONDS,
        check=False,
    )
    assert (done.returncode, done.stderr) == (0, ""), done.stdout[-2000:] + done.stderr
    received = re.search(r"The local mail server received (\d+) messages", done.stdout)
    assert received and int(received.group(1)) > 0, done.stdout[-2000:]
    saved = list((tmp_path / "taskforce-demo-mail").glob("*.eml"))
    assert len(saved) == int(received.group(1))
    assert (tmp_path / "taskforce-demo.sqlite3").is_file()


@pytest.fixture
def sample_site(installed: Path, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """`taskforce web --sample` from the installed wheel: its address and the sample password."""
    port = free_port()
    server = subprocess.Popen(
        [str(installed / "taskforce"), "web", "--sample", "--port", str(port)],
        cwd=tmp_path,
        env=clean_environment(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        password = read_sample_password(server)
        address = f"http://127.0.0.1:{port}"
        wait_for_port(server, port)
        yield address, password
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        assert server.stdout is not None and server.stderr is not None
        server.stdout.close()
        server.stderr.close()


def test_the_web_pages_serve_from_the_installed_wheel(sample_site: tuple[str, str]) -> None:
    address, password = sample_site
    with httpx.Client(base_url=address, follow_redirects=False, timeout=30) as browser:
        form = browser.get("/sign-in")
        assert form.status_code == 200
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert csrf, form.text[:500]
        signed_in = browser.post(
            "/sign-in",
            data={
                "email": "chair@example.org",
                "password": password,
                "next": "/commitments/CMB-PUNJAB",
                "csrf_token": csrf.group(1),
            },
        )
        assert signed_in.status_code == 303, signed_in.text[:500]
        page = browser.get(signed_in.headers["location"])
        assert page.status_code == 200
        assert "<title>CMB-PUNJAB" in page.text, page.text[:500]
        assert 'class="item-key"><bdi>CMB-PUNJAB</bdi>' in page.text
        assert browser.get("/static/app.css").status_code == 200


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def read_sample_password(server: subprocess.Popen[str]) -> str:
    """The password `web --sample` prints, read line by line until the server says it serves."""
    assert server.stdout is not None
    password = None
    for line in server.stdout:
        found = re.search(r"Their password for this database: (\S+)", line)
        if found:
            password = found.group(1)
        if line.startswith("Serving taskforce on"):
            break
    assert password, (
        f"no sample password printed; stderr: {server.stderr.read() if server.stderr else ''}"
    )
    return password


def wait_for_port(server: subprocess.Popen[str], port: int) -> None:
    """Until the server accepts connections, within our own limit, or it has exited."""
    deadline = time.monotonic() + WEB_START_SECONDS
    while time.monotonic() < deadline:
        assert server.poll() is None, f"taskforce web exited with {server.returncode}"
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"taskforce web did not listen on port {port} in {WEB_START_SECONDS} s")
