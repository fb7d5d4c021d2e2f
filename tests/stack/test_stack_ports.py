"""Stack ports: the ephemeral range is refused, and a taken port says who holds it."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from stack import StackConfig, StackError
from stack.ports import (
    describe_holder,
    ephemeral_range,
    port_free,
    refuse_ephemeral,
    reserved_ports,
    socket_states,
)
from stack.programs import check_ports_free

REPO = Path(__file__).resolve().parents[2]
# A port of this suite's own range (below the ephemeral range), nothing else uses it.
PORT = 24998


def test_defaults_lie_below_the_ephemeral_range() -> None:
    first, _ = ephemeral_range()
    cfg = StackConfig.from_env(REPO, {})
    assert max(cfg.ports().values()) < first


def test_reads_the_kernel_range_and_reserved_ports(tmp_path: Path) -> None:
    (tmp_path / "range").write_text("20000\t29999\n")
    (tmp_path / "reserved").write_text("20001,20010-20012\n")
    assert ephemeral_range(tmp_path / "range") == (20000, 29999)
    assert reserved_ports(tmp_path / "reserved") == {20001, 20010, 20011, 20012}
    assert reserved_ports(tmp_path / "missing") == set()


def test_a_reserved_port_inside_the_range_is_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("stack.ports.reserved_ports", lambda: {40000})
    refuse_ephemeral({"redis": 40000})
    with pytest.raises(StackError, match=r"40001 \(redis\) lies in Linux.s ephemeral range"):
        refuse_ephemeral({"redis": 40001})


def test_a_listener_is_named_as_such() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", PORT))
        server.listen()
        assert not port_free(PORT, "127.0.0.1")
        assert describe_holder(PORT) == "another server listens on it"
        cfg = StackConfig.from_env(REPO, {"KIT_REDIS_PORT": str(PORT)})
        with pytest.raises(StackError, match=f"port {PORT} .redis. .* another server listens"):
            check_ports_free(cfg, ["redis"])


def test_a_client_in_time_wait_is_not_called_a_listener() -> None:
    """The client side that closes first keeps its source port in TIME-WAIT for a minute."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        client = socket.socket()
        client.bind(("127.0.0.1", PORT))
        client.connect(server.getsockname())
        accepted, _ = server.accept()
        client.close()  # active close: the client's port goes to TIME-WAIT
        accepted.close()
    assert "TIME-WAIT" in socket_states(PORT)
    message = describe_holder(PORT)
    assert message.startswith("not a listener")
    assert "TIME-WAIT" in message


def test_states_are_read_from_proc_net(tmp_path: Path) -> None:
    header = "  sl  local_address rem_address   st tx_queue rx_queue\n"
    # 0x5DC0 = 24000: one TIME-WAIT socket, and a listener on another port.
    (tmp_path / "tcp").write_text(
        header
        + "   0: 0100007F:5DC0 0100007F:46B7 06 00000000:00000000\n"
        + "   1: 0100007F:1F90 00000000:0000 0A 00000000:00000000\n"
    )
    assert socket_states(24000, tmp_path) == ["TIME-WAIT"]
    assert describe_holder(8080, tmp_path) == "another server listens on it"
    assert describe_holder(1, tmp_path) == "the kernel refuses the bind"
