"""The suite-wide network guard from conftest.py: non-loopback connections and DNS lookups are
refused, loopback and Unix sockets work, and a test that swallows the refusal still fails."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import textwrap
import urllib.request
from pathlib import Path

import pytest
from tests.conftest import NetworkBlocked, is_loopback


@pytest.fixture
def attempts(no_network):
    """Lets a test make blocked attempts on purpose without failing at teardown."""
    start = len(no_network)
    yield no_network
    del no_network[start:]


@pytest.mark.parametrize("host, local", [
    ("127.0.0.1", True), ("127.8.9.10", True), ("::1", True), ("[::1]", True), ("localhost", True),
    ("::ffff:127.0.0.1", True), ("10.0.0.1", False), ("192.168.1.1", False), ("8.8.8.8", False),
    ("2001:4860:4860::8888", False), ("huggingface.co", False), ("0.0.0.0", False), ("", False),
])
def test_is_loopback(host, local):
    assert is_loopback(host) is local


@pytest.mark.parametrize("call", [
    lambda: socket.create_connection(("huggingface.co", 443), timeout=1),
    lambda: socket.create_connection(("93.184.216.34", 80), timeout=1),
    lambda: socket.getaddrinfo("pypi.org", 443),
    lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM).connect(("10.255.255.1", 80)),
    lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM).connect_ex(("10.255.255.1", 80)),
    lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("8.8.8.8", 53)),
    lambda: urllib.request.urlopen("http://example.com", timeout=1),
], ids=["create_connection name", "create_connection ip", "getaddrinfo", "connect", "connect_ex", "sendto", "urlopen"])
def test_non_loopback_access_is_refused(attempts, call):
    with pytest.raises(NetworkBlocked, match="only loopback"):
        call()
    assert attempts, "the attempt is recorded"


def test_loopback_tcp_works():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.create_connection(server.getsockname(), timeout=2) as client:
            conn, _ = server.accept()
            with conn:
                client.sendall(b"ping")
                assert conn.recv(4) == b"ping"


def test_localhost_resolves_and_unix_sockets_work(tmp_path):
    assert socket.getaddrinfo("localhost", 80)
    path = str(tmp_path / "s.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(path)
        server.listen(1)
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.connect(path)


def test_a_test_that_swallows_the_refusal_still_fails(tmp_path):
    shutil.copy(Path(__file__).with_name("conftest.py"), tmp_path / "conftest.py")
    (tmp_path / "test_sneaky.py").write_text(textwrap.dedent("""
        import socket

        def test_sneaky():
            try:
                socket.create_connection(("example.com", 80), timeout=1)
            except Exception:
                pass  # a library that retries quietly

        def test_quiet():
            assert True
    """), encoding="utf-8")

    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)

    assert run.returncode == 1, run.stdout
    assert "ERROR test_sneaky.py::test_sneaky - Failed: network access blocked" in run.stdout
    assert "1 error" in run.stdout and "test_quiet" not in run.stdout
