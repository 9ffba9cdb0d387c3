"""Rules every test runs under, and the fixtures most tests share.

- **No network.** Any attempt to reach a non-loopback address (connect, connect_ex, sendto,
  create_connection, or a DNS lookup of a name other than localhost) raises ``NetworkBlocked``,
  and the test that made it fails even if a library swallowed the exception. This is how the
  suite proves that nothing reaches the network at run time. Loopback (127.0.0.0/8, ::1,
  localhost) and Unix sockets stay allowed, for the Chroma server and page tests.
- **Offline libraries.** Hugging Face, Chroma and Gradio are told to stay offline and quiet
  before anything imports them (the assignments below run when pytest loads this file).
- **Fixtures.** ``tmp_settings`` (empty index in tmp, the real corpus and guardrails),
  ``settings_for`` (the same with any index folder and overrides),
  ``fake_bot`` (the whole pipeline on the deterministic ``HashEmbedder``; fast; see
  ``FAKE_SCOPE_THRESHOLDS``) and
  ``real_bot`` (the real model and an embedded Chroma; mark its tests ``integration``).
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["ANONYMIZED_TELEMETRY"] = "False"
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"

ROOT = Path(__file__).resolve().parents[1]


# -- no network ------------------------------------------------------------------------------


class NetworkBlocked(RuntimeError):
    """A test (or a library under test) tried to reach a non-loopback address."""


_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}
_attempts: list[str] = []


def is_loopback(host: object) -> bool:
    """True for 127.0.0.0/8, ::1 (also IPv4-mapped) and the name localhost."""
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    if not isinstance(host, str):
        return False
    name = host.strip("[]").split("%", 1)[0].lower()
    if name in _LOCAL_NAMES:
        return True
    try:
        ip = ipaddress.ip_address(name)
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return ip.is_loopback or bool(mapped and mapped.is_loopback)


def _refuse(what: str, target: object) -> None:
    message = f"network access blocked in tests: {what} {target!r} (only loopback is allowed)"
    _attempts.append(message)
    raise NetworkBlocked(message)


def _guarded_socket_method(original, what: str):
    def method(self, address, *args):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not is_loopback(address[0]):
            _refuse(what, address)
        return original(self, address, *args)

    return method


def _guarded_sendto(original):
    def sendto(self, data, *args):
        address = args[-1] if args else None
        if self.family in (socket.AF_INET, socket.AF_INET6) and address is not None and not is_loopback(address[0]):
            _refuse("sendto", address)
        return original(self, data, *args)

    return sendto


@pytest.fixture(scope="session", autouse=True)
def no_network():
    """Session-wide guard; yields the list of blocked attempts (for the guard's own tests)."""
    real_create_connection = socket.create_connection
    real_getaddrinfo = socket.getaddrinfo

    def create_connection(address, *args, **kwargs):
        if not is_loopback(address[0]):
            _refuse("create_connection", address)
        return real_create_connection(address, *args, **kwargs)

    def getaddrinfo(host, *args, **kwargs):
        # Numeric addresses need no lookup; any other name would be a DNS query on the wire.
        if host is not None and not is_loopback(host):
            try:
                ipaddress.ip_address(host.decode() if isinstance(host, bytes) else str(host).split("%", 1)[0])
            except ValueError:
                _refuse("DNS lookup of", host)
        return real_getaddrinfo(host, *args, **kwargs)

    mp = pytest.MonkeyPatch()
    mp.setattr(socket.socket, "connect", _guarded_socket_method(socket.socket.connect, "connect to"))
    mp.setattr(socket.socket, "connect_ex", _guarded_socket_method(socket.socket.connect_ex, "connect_ex to"))
    mp.setattr(socket.socket, "sendto", _guarded_sendto(socket.socket.sendto))
    mp.setattr(socket, "create_connection", create_connection)
    mp.setattr(socket, "getaddrinfo", getaddrinfo)
    yield _attempts
    mp.undo()


@pytest.fixture(autouse=True)
def _fail_on_network_attempt(no_network):
    """Fail the test even when a library caught ``NetworkBlocked`` and carried on."""
    before = len(no_network)
    yield
    attempts = no_network[before:]
    if attempts:
        del no_network[before:]
        pytest.fail("\n".join(attempts), pytrace=False)


# -- settings and assistants -----------------------------------------------------------------


def make_settings(index_dir: Path, **overrides):
    """Settings on the real corpus and guardrails with the index in ``index_dir`` (never a server)."""
    from assistant.settings import Settings

    values = {"index_dir": index_dir, "corpus_dir": ROOT / "corpus", "guardrails_dir": ROOT / "guardrails", "chroma_url": None}
    return Settings(**{**values, **overrides})


@pytest.fixture(scope="session")
def settings_for():
    """``settings_for(index_dir, **overrides)``: settings on the real corpus and guardrails."""
    return make_settings


@pytest.fixture
def tmp_settings(tmp_path):
    """Settings with an empty index folder in ``tmp_path`` and the real corpus and guardrails."""
    return make_settings(tmp_path / "index")


# The shipped scope thresholds are calibrated for all-MiniLM-L6-v2 cosines; the hash fake scores
# on its own scale, so the fast tests use these (set from the fake's scores on on- and off-topic
# questions). Wording, contact, crisis lines, patterns and exemplars stay the shipped ones; the
# shipped thresholds are exercised by the integration tests with the real model.
FAKE_SCOPE_THRESHOLDS = {"in_scope_relevance": 0.30, "in_scope_topic_floor": 0.0, "topic_relevance": 0.20,
                         "out_of_scope_relevance": 0.15}


def fake_guardrails(folder: Path) -> Path:
    """A copy of ``guardrails/`` with the scope thresholds above (an unknown key fails loudly)."""
    import yaml

    shutil.copytree(ROOT / "guardrails", folder)
    path = folder / "policy.yaml"
    policy = yaml.safe_load(path.read_text(encoding="utf-8"))
    policy["thresholds"].update(FAKE_SCOPE_THRESHOLDS)
    path.write_text(yaml.safe_dump(policy, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def fake_bot(tmp_path_factory):
    """The whole pipeline on the deterministic ``HashEmbedder``, a fresh embedded index and the
    shipped guardrails with the fake's scope thresholds."""
    from assistant import Assistant
    from assistant.embeddings import HashEmbedder

    root = tmp_path_factory.mktemp("fake")
    settings = make_settings(root / "index", guardrails_dir=fake_guardrails(root / "guardrails"))
    return Assistant.load(settings, embedder=HashEmbedder())


@pytest.fixture(scope="session")
def real_index_dir(tmp_path_factory) -> Path:
    """One index folder per session for everything that uses the real model (built once)."""
    return tmp_path_factory.mktemp("real-index")


@pytest.fixture(scope="session")
def real_bot(real_index_dir):
    """The real local model and embedded Chroma; tests using it must be marked ``integration``."""
    from assistant import Assistant

    return Assistant.load(make_settings(real_index_dir))
