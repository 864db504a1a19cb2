"""The control API under /_emulator/, as contracts.md fixes it, through plain HTTP."""

import time


def test_health(server):
    status, body = server.control("GET", "health")
    assert status == 200
    assert body["status"] == "ok"
    assert body["clock"] == "manual"


def test_clock_read_is_frozen_in_manual_mode(server):
    status, first = server.control("GET", "clock")
    assert status == 200
    assert first["mode"] == "manual"
    assert isinstance(first["now"], float)
    assert first["scale"] == 0
    time.sleep(0.2)
    _, second = server.control("GET", "clock")
    assert second["now"] == first["now"]


def test_clock_advance_moves_exactly(server):
    _, before = server.control("GET", "clock")
    status, after = server.control("POST", "clock", {"advance": 90})
    assert status == 200
    assert after["now"] - before["now"] == 90
    assert after["mode"] == "manual"
    _, read = server.control("GET", "clock")
    assert read["now"] == after["now"]
    status, after_fraction = server.control("POST", "clock", {"advance": 0.5})
    assert status == 200
    assert after_fraction["now"] - after["now"] == 0.5


def test_clock_mode_switches(server):
    status, body = server.control("POST", "clock", {"mode": "scaled", "scale": 60})
    assert status == 200
    assert body["mode"] == "scaled"
    assert body["scale"] == 60
    time.sleep(0.1)
    _, later = server.control("GET", "clock")
    assert later["now"] > body["now"], "a scaled clock moves on its own"
    status, body = server.control("POST", "clock", {"mode": "real"})
    assert status == 200
    assert body["mode"] == "real"
    assert body["scale"] == 1
    status, body = server.control("POST", "clock", {"mode": "manual"})
    assert status == 200
    assert body["mode"] == "manual"
    _, health = server.control("GET", "health")
    assert health["clock"] == "manual"


def test_clock_bad_bodies_name_the_field(server):
    cases = [
        ({"advance": -1}, "advance"),
        ({"advance": "ten"}, "advance"),
        ({"mode": "sideways"}, "mode"),
        ({"mode": "scaled"}, "scale"),
        ({"mode": "scaled", "scale": 0}, "scale"),
        ({}, "advance"),
    ]
    for body, field in cases:
        status, err = server.control("POST", "clock", body)
        assert status == 400, body
        assert err["field"] == field, (body, err)
        assert err["error"] == "BadRequest"
    for raw in (b"not json", b"[1, 2]", b"{\"advance\": "):
        status, err = server.control("POST", "clock", raw=raw)
        assert status == 400, raw
        assert err["field"] == "body", (raw, err)
    _, clock = server.control("GET", "clock")
    assert clock["mode"] == "manual", "a rejected body changes nothing"


def test_faults_validate_and_record(server):
    for body, field in [
        ({}, "targetHealth"),
        ({"targetHealth": "healthy", "taskDefinition": "web:1"}, "targetHealth"),
        ({"targetHealth": "unhealthy"}, "taskDefinition"),
        ({"targetHealth": "unhealthy", "taskDefinition": ""}, "taskDefinition"),
    ]:
        status, err = server.control("POST", "faults", body)
        assert status == 400, body
        assert err["field"] == field, (body, err)
    status, err = server.control("POST", "faults", raw=b"{oops")
    assert status == 400
    assert err["field"] == "body"

    _, before = server.control("GET", "events")
    last = max((e["seq"] for e in before["events"]), default=0)
    status, body = server.control("POST", "faults", {"targetHealth": "unhealthy", "taskDefinition": "threads:3"})
    assert (status, body) == (200, {})
    status, body = server.control("DELETE", "faults")
    assert (status, body) == (200, {})
    _, after = server.control("GET", f"events?since={last}")
    new = after["events"]
    assert [e["source"] for e in new] == ["faults", "faults"]
    assert "threads:3" in new[0]["message"]
    assert new[0]["seq"] < new[1]["seq"]
    for e in new:
        assert e["seq"] > last
        assert isinstance(e["time"], float)


def test_events_since_filters_and_rejects_bad_numbers(server):
    server.control("POST", "faults", {"targetHealth": "unhealthy", "taskDefinition": "a:1"})
    _, all_events = server.control("GET", "events")
    seqs = [e["seq"] for e in all_events["events"]]
    assert seqs == sorted(seqs) and len(seqs) >= 1
    _, none_after = server.control("GET", f"events?since={seqs[-1]}")
    assert none_after == {"events": []}
    for bad in ("abc", "-1", "1.5"):
        status, err = server.control("GET", f"events?since={bad}")
        assert status == 400, bad
        assert err["field"] == "since"


def test_reset_drops_the_timeline_but_keeps_sequence_numbers_growing(server):
    server.control("POST", "faults", {"targetHealth": "unhealthy", "taskDefinition": "a:1"})
    _, before = server.control("GET", "events")
    top = before["events"][-1]["seq"]
    status, body = server.control("POST", "reset")
    assert (status, body) == (200, {})
    _, after = server.control("GET", "events")
    assert all(e["seq"] > top for e in after["events"])
    assert all(e["source"] != "faults" for e in after["events"])


def test_unknown_control_calls_are_404_json(server):
    for method, path in [("GET", "nope"), ("GET", "reset"), ("PUT", "clock"), ("POST", "health"), ("GET", "clock/extra")]:
        status, err = server.control(method, path)
        assert status == 404, (method, path)
        assert err["error"] == "NotFound"


def test_clients_reach_the_spawned_server_through_the_environment(server, sts):
    assert sts.meta.endpoint_url == server.url
    assert sts.meta.region_name == "us-east-1"
