"""Security: nothing leaves the machine, telemetry is off in every library, no message text reaches
the logs, the page binds to loopback, user input never becomes a file path, dependencies are pinned
and the model weights are hash-checked."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import textwrap
import tomllib
from importlib import metadata
from unittest import mock

import pytest
from click.testing import CliRunner
from packaging.requirements import Requirement

from assistant import cli
from assistant.embeddings import default_model_dir, verify_model
from assistant.errors import ModelError, StoreUnavailable
from assistant.settings import ROOT, Settings

OFFLINE_ENV = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HUB_DISABLE_TELEMETRY", "GRADIO_ANALYTICS_ENABLED", "ANONYMIZED_TELEMETRY")


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without the offline switches conftest sets: the package must set its own."""
    env = {k: v for k, v in os.environ.items() if k not in OFFLINE_ENV and not k.startswith("ASSISTANT_")}
    return {**env, **extra}


# -- no outbound network --------------------------------------------------------------------------


@pytest.mark.integration
def test_pipeline_cannot_reach_a_non_loopback_address(no_network, real_index_dir):
    """The suite's guard sits under the pipeline's own HTTP client: a Chroma URL off the machine is
    refused before a packet leaves, and the person gets a clear error, not a hang."""
    from assistant import Assistant

    start = len(no_network)
    try:
        with pytest.raises(StoreUnavailable, match="could not be reached"):
            Assistant.load(Settings(chroma_url="http://192.0.2.10:8000", chroma_retries=0, index_dir=real_index_dir))
        blocked = no_network[start:]
        assert blocked and all("192.0.2.10" in b for b in blocked)
    finally:
        del no_network[start:]  # blocked on purpose


END_TO_END = textwrap.dedent(
    """
    # Every outbound attempt, seen by an audit hook (it also sees C-level socket calls), from a cold start:
    # model load and ingest, the ONNX query model, questions, and the page with a gradio_client call.
    import ipaddress, json, os, socket, sys
    attempts = []

    def loopback(host):
        host = host.decode() if isinstance(host, bytes) else str(host)
        if host in ("localhost", ""):
            return True
        try:
            return ipaddress.ip_address(host.split("%")[0]).is_loopback
        except ValueError:
            return False

    def hook(event, args):
        if event in ("socket.connect", "socket.sendto") and isinstance(args[1], tuple) and not loopback(args[1][0]):
            attempts.append(f"{event} {args[1]!r}")
        elif event == "socket.getaddrinfo" and args[0] is not None and not loopback(args[0]):
            attempts.append(f"getaddrinfo {args[0]!r}")

    sys.addaudithook(hook)
    from pathlib import Path
    from assistant import Assistant, Settings
    from assistant.embeddings import SentenceTransformerEmbedder, default_model_dir
    from assistant.indexing import ingest
    from assistant import web

    fresh = Settings(index_dir=Path(sys.argv[1]))
    ingest(fresh, SentenceTransformerEmbedder(default_model_dir(), fresh.model_sha256))
    bot = Assistant.load(Settings(index_dir=Path(sys.argv[2]), port=0)).warm()
    replies = [bot.ask(q).category for q in ("why do I ignore messages?", "I want to kill myself", "hello")]
    demo = web.build(bot)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]
    url = web.launch(demo, bot.settings.model_copy(update={"port": port}), block=False)
    from gradio_client import Client
    page = Client(url, verbose=False, analytics_enabled=False, download_files=False).predict("why do I ignore messages?", None, api_name="/ask")
    demo.close()
    env = {k: os.environ.get(k) for k in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HUB_DISABLE_TELEMETRY", "GRADIO_ANALYTICS_ENABLED")}
    print("RESULT", json.dumps({"attempts": attempts, "replies": replies, "page": page["category"], "env": env,
                                "analytics": demo.analytics_enabled}))
    """
)


@pytest.mark.integration
@pytest.mark.slow
def test_cold_start_to_page_answer_makes_no_outbound_connection(tmp_path, real_index_dir):
    script = tmp_path / "end_to_end.py"
    script.write_text(END_TO_END, encoding="utf-8")
    run = subprocess.run([sys.executable, str(script), str(tmp_path / "fresh-index"), str(real_index_dir)],
                         env=clean_env(), capture_output=True, text=True, timeout=900)
    lines = [line for line in run.stdout.splitlines() if line.startswith("RESULT ")]
    assert run.returncode == 0 and lines, run.stderr[-3000:]
    result = json.loads(lines[-1].removeprefix("RESULT "))
    assert result["attempts"] == []
    assert result["replies"] == ["answered", "crisis", "small_talk"] and result["page"] == "answered"
    truthy = {k: v.lower() in ("1", "true") for k, v in result["env"].items() if k != "GRADIO_ANALYTICS_ENABLED"}
    assert truthy == {"HF_HUB_OFFLINE": True, "TRANSFORMERS_OFFLINE": True, "HF_HUB_DISABLE_TELEMETRY": True}
    assert result["env"]["GRADIO_ANALYTICS_ENABLED"] == "False"
    assert result["analytics"] is False


# -- telemetry off -----------------------------------------------------------------------------------


def test_chroma_telemetry_is_off_in_every_client(fake_bot):
    from assistant.store.chroma import chroma_settings

    assert chroma_settings().anonymized_telemetry is False
    client = fake_bot.store.client  # the embedded client the pipeline really uses
    assert client.get_settings().anonymized_telemetry is False


def test_libraries_are_told_to_stay_offline_on_import():
    code = ("import os, assistant.embeddings, assistant.store; "
            "print({k: os.environ.get(k) for k in ('HF_HUB_OFFLINE', 'TRANSFORMERS_OFFLINE', 'HF_HUB_DISABLE_TELEMETRY')})")
    run = subprocess.run([sys.executable, "-c", code], env=clean_env(), capture_output=True, text=True, timeout=120)
    assert run.stdout.strip() == "{'HF_HUB_OFFLINE': '1', 'TRANSFORMERS_OFFLINE': '1', 'HF_HUB_DISABLE_TELEMETRY': '1'}", run.stderr


def test_page_has_gradio_analytics_off(fake_bot):
    from assistant import web

    demo = web.build(fake_bot)
    assert demo.analytics_enabled is False
    assert os.environ["GRADIO_ANALYTICS_ENABLED"] == "False"


# -- no user text in logs -----------------------------------------------------------------------------

MARKER = "zqxmarker7731"
MESSAGES = [f"why do I ignore messages {MARKER}?", f"I want to kill myself {MARKER}", f"how many mg of prozac {MARKER}",
            f"{MARKER} " * 2000, f"hello {MARKER}", f"<script>{MARKER}</script>", f"how do I change a flat tire {MARKER}"]


def test_no_message_text_reaches_the_logs(fake_bot, caplog, capfd):
    caplog.set_level(logging.DEBUG)
    history = [{"role": "user", "content": f"earlier {MARKER}"}, {"role": "assistant", "content": f"reply {MARKER}"}]
    for message in MESSAGES:
        fake_bot.ask(message, history)
    out, err = capfd.readouterr()
    assert MARKER not in caplog.text and MARKER not in out and MARKER not in err


def test_no_message_text_in_the_logs_when_answering_fails(fake_bot, caplog, monkeypatch):
    """An exception raised deep inside may carry the message (many libraries quote their input)."""
    caplog.set_level(logging.DEBUG)

    def fails(verdict, turns):
        raise ValueError(f"cannot handle {verdict.text!r}")

    monkeypatch.setattr(fake_bot, "retrieve", fails)
    reply = fake_bot.ask(f"why do I ignore messages {MARKER}?")
    assert reply.error and reply.contact in reply.answer and reply.disclaimer in reply.answer
    assert "ask failed" in caplog.text  # the failure is logged...
    assert MARKER not in caplog.text  # ...without what the person wrote
    assert MARKER not in reply.error


# -- the page binds to loopback -----------------------------------------------------------------------


def test_page_binds_to_loopback_by_default(fake_bot, monkeypatch):
    import psutil

    from assistant import web

    for key in ("ASSISTANT_HOST", "GRADIO_SERVER_NAME"):
        monkeypatch.delenv(key, raising=False)
    settings = Settings(port=0)
    assert settings.host == "127.0.0.1"
    demo = web.build(fake_bot)
    url = web.launch(demo, settings.model_copy(update={"port": _free_port()}), block=False)
    try:
        port = demo.server_port
        listening = [c.laddr for c in psutil.Process().net_connections(kind="inet") if c.status == psutil.CONN_LISTEN and c.laddr.port == port]
        assert url.startswith("http://127.0.0.1:") and listening and {a.ip for a in listening} == {"127.0.0.1"}
    finally:
        demo.close()


def test_cli_chat_defaults_to_loopback(monkeypatch):
    monkeypatch.delenv("ASSISTANT_HOST", raising=False)
    seen = {}
    with mock.patch("assistant.web.serve", lambda settings, *args, **kwargs: seen.setdefault("host", settings.host)):
        result = CliRunner().invoke(cli.main, ["chat"])
    assert result.exit_code == 0, result.output
    assert seen == {"host": "127.0.0.1"}


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- user input never becomes a file path ---------------------------------------------------------------

PATHS = ["../../etc/passwd", "/etc/shadow", "~/.ssh/id_rsa", "file:///etc/passwd", "corpus/why-depression-makes-you-push-people-away.md",
         "..\\..\\windows\\system32", "/proc/self/environ", ".index/ACTIVE", "guardrails/policy.yaml", "\x00/etc/hosts",
         "why do I ignore messages? see ../../../../tmp/x"]


def test_user_input_is_never_opened_as_a_file(fake_bot, monkeypatch):
    opened: list[str] = []
    recording = [False]

    def hook(event, args):
        if recording[0] and event in ("open", "os.listdir", "os.scandir", "os.remove", "os.rename", "shutil.rmtree") and args:
            opened.append(str(args[0]))

    sys.addaudithook(hook)  # cannot be removed; it records only while this test asks
    fake_bot.ask("why do I ignore messages?")  # lazy loading done before recording
    recording[0] = True
    try:
        for text in PATHS:
            fake_bot.ask(text, [{"role": "user", "content": text}])
        from assistant.cli import _ask_batch

        with mock.patch("click.echo"):
            _ask_batch(fake_bot, [json.dumps({"id": text, "question": text}) for text in PATHS])
    finally:
        recording[0] = False
    named = ("passwd", "shadow", "id_rsa", "system32", "environ", "hosts", "tmp/x")
    assert [p for p in opened if any(n in p for n in named)] == []
    print("opened while answering:", sorted(set(opened)))


# -- pinned dependencies and hash-checked weights ----------------------------------------------------------


def test_every_dependency_is_pinned_to_a_range_and_installed_within_it():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = [Requirement(r) for r in project["dependencies"] + project["optional-dependencies"]["test"]]
    loose = [str(r) for r in requirements if not any(s.operator in ("<", "<=", "==", "~=") for s in r.specifier)]
    assert loose == []
    outside = [f"{r.name} {metadata.version(r.name)} not in {r.specifier}" for r in requirements
               if not r.specifier.contains(metadata.version(r.name), prereleases=True)]
    assert outside == []


def test_wrong_model_hash_is_refused():
    with pytest.raises(ModelError, match="expected 0{64}"):
        verify_model(default_model_dir(), "0" * 64)


def test_tampered_weights_are_refused(tmp_path):
    model = tmp_path / "model"
    model.mkdir()
    (model / "model.safetensors").write_bytes(b"not the official weights")
    with pytest.raises(ModelError, match="has SHA-256"):
        verify_model(model, Settings().model_sha256)
    with pytest.raises(ModelError, match="No model weights"):
        verify_model(tmp_path, Settings().model_sha256)


def test_assistant_and_cli_refuse_a_wrong_hash_before_loading_anything(tmp_path):
    from assistant import Assistant

    with pytest.raises(ModelError):
        Assistant.load(Settings(model_sha256="f" * 64, index_dir=tmp_path))
    env = clean_env(ASSISTANT_MODEL_SHA256="f" * 64, ASSISTANT_INDEX_DIR=str(tmp_path))
    for args in (["ask", "--json", "why do I ignore messages?"], ["ingest"]):
        run = subprocess.run([sys.executable, "-m", "assistant.cli", *args], env=env, capture_output=True, text=True, timeout=300)
        assert run.returncode == 2 and "Traceback" not in run.stderr, run.stderr
        assert "Error:" in run.stderr and "expected ffff" in run.stderr
    assert not any(tmp_path.iterdir())  # nothing was built with the wrong weights
