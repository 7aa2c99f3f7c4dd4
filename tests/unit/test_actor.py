"""gateway.actor with MockRoute: grouping by action, SMTP single-reply rules, LMTP per recipient (§4 table)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from gateway.actor import Actor, trace_header
from gateway.deliver.mock import MockRoute
from gateway.envelope import build_message
from gateway.metrics import Metrics
from gateway.model import Action, Category, Decision, Finding, Message, Mode, Reply, ScanResult, Verdict
from gateway.quarantine import QuarantineStore

PNR = ScanResult(findings=(Finding("se_personnummer", Category.PERSONNUMMER, "body", 1, 0.97, "1912****-**12"),),
                 unscannable=())


def setup(tmp_path: Path, lmtp: bool, nxt: MockRoute | None = None, sec: MockRoute | None = None
          ) -> tuple[Actor, MockRoute, MockRoute]:
    nxt, sec = nxt or MockRoute("next_hop"), sec or MockRoute("secure_route")
    return Actor(nxt, sec, QuarantineStore(tmp_path / "q"), Metrics(), lmtp=lmtp, relay_deadline=5), nxt, sec


def verdict(msg: Message, actions: list[Action], result: ScanResult = PNR) -> Verdict:
    return Verdict(msg.incident, tuple(Decision(r, a, a, f"rule-{a}", Mode.ENFORCE) for r, a in
                                       zip(msg.rcpts, actions, strict=True)), result)


def message(*rcpts: str) -> Message:
    return build_message(b"Subject: x\r\n\r\nbody\r\n", "kalle@kommun.example.se", list(rcpts),
                         internal=["kommun.example.se"])


def test_smtp_block_rejects_whole_message_before_any_handoff(tmp_path: Path) -> None:
    actor, nxt, sec = setup(tmp_path, lmtp=False)
    msg = message("a@gmail.com", "b@kommun.example.se")
    replies = asyncio.run(actor.act(msg, verdict(msg, [Action.BLOCK, Action.DELIVER])))
    assert {r.code for r in replies.values()} == {550}
    assert nxt.sent == [] and sec.sent == []


def test_lmtp_block_only_blocked_recipient(tmp_path: Path) -> None:
    actor, nxt, sec = setup(tmp_path, lmtp=True)
    msg = message("a@gmail.com", "b@kommun.example.se")
    replies = asyncio.run(actor.act(msg, verdict(msg, [Action.BLOCK, Action.DELIVER])))
    assert replies["a@gmail.com"].code == 550 and replies["b@kommun.example.se"].code == 250
    assert [h.rcpts for h in nxt.sent] == [("b@kommun.example.se",)]


def test_groups_are_handed_off_concurrently_with_their_own_trace_header(tmp_path: Path) -> None:
    actor, nxt, sec = setup(tmp_path, lmtp=False, nxt=MockRoute("n", delay=0.3), sec=MockRoute("s", delay=0.3))
    msg = message("a@gmail.com", "b@kommun.example.se")
    loop = asyncio.new_event_loop()
    t0 = loop.time()
    replies = loop.run_until_complete(actor.act(msg, verdict(msg, [Action.REROUTE, Action.DELIVER])))
    elapsed = loop.time() - t0
    loop.close()
    assert elapsed < 0.55  # both 0.3 s hand-offs ran at once
    assert {r.code for r in replies.values()} == {250} and msg.incident in replies["a@gmail.com"].text
    assert sec.sent[0].msg.raw.startswith(b"X-DLP-Gateway: v1; incident=" + msg.incident.encode() +
                                          b"; action=reroute; rule=rule-reroute; categories=personnummer\r\n")
    assert nxt.sent[0].msg.raw.endswith(msg.raw)


def test_smtp_any_temporary_failure_is_451(tmp_path: Path) -> None:
    actor, nxt, sec = setup(tmp_path, lmtp=False, sec=MockRoute("s", reply=Reply(451, "4.4.1", "down")))
    msg = message("a@gmail.com", "b@kommun.example.se")
    replies = asyncio.run(actor.act(msg, verdict(msg, [Action.REROUTE, Action.DELIVER])))
    assert {(r.code, r.enhanced) for r in replies.values()} == {(451, "4.4.1")}
    assert actor.metrics.registry.get_sample_value("dlp_delivery_failures_total", {"route": "secure_route"}) == 1


def test_smtp_all_permanent_is_that_5xx(tmp_path: Path) -> None:
    actor, nxt, _ = setup(tmp_path, lmtp=False, nxt=MockRoute("n", reply=Reply(554, "5.6.0", "refused")))
    msg = message("a@gmail.com")
    replies = asyncio.run(actor.act(msg, verdict(msg, [Action.DELIVER])))
    assert replies["a@gmail.com"] == Reply(554, "5.6.0", "refused")


def test_quarantine_group_is_stored_with_sidecar(tmp_path: Path) -> None:
    actor, nxt, sec = setup(tmp_path, lmtp=True)
    msg = message("a@gmail.com", "b@kommun.example.se")
    replies = asyncio.run(actor.act(msg, verdict(msg, [Action.QUARANTINE, Action.DELIVER])))
    assert replies["a@gmail.com"].code == 250
    [entry] = actor.quarantine.entries()
    assert entry["recipients"] == ["a@gmail.com"] and entry["categories"] == ["personnummer"]
    assert actor.quarantine.raw(msg.incident) == msg.raw


def test_trace_header_is_ascii_tokens() -> None:
    h = trace_header("DLP-20260101-AAAAAAAA", "deliver", ["a", "a", "b"], [])
    assert h == b"X-DLP-Gateway: v1; incident=DLP-20260101-AAAAAAAA; action=deliver; rule=a,b\r\n"


def test_duplicate_recipient_is_handed_off_once(tmp_path: Path) -> None:
    actor, nxt, _ = setup(tmp_path, lmtp=True)
    msg = message("a@gmail.com", "a@gmail.com")
    replies = asyncio.run(actor.act(msg, verdict(msg, [Action.DELIVER, Action.DELIVER])))
    assert replies["a@gmail.com"].code == 250 and [h.rcpts for h in nxt.sent] == [("a@gmail.com",)]


def test_test_notify_mode_delivers_and_tells_the_sender(tmp_path: Path) -> None:
    from gateway.deliver.notify import Notifier, load_templates
    from gateway.paths import bundled_policy_dir

    actor, nxt, sec = setup(tmp_path, lmtp=False)
    actor.notifier = Notifier(nxt, load_templates(bundled_policy_dir() / "templates"), header_from="x@k.se")
    msg = message("a@gmail.com")
    d = Decision(msg.rcpts[0], Action.DELIVER, Action.REROUTE, "sensitive-external", Mode.TEST_NOTIFY,
                 notify=frozenset({"sender"}))
    async def go() -> dict[str, Reply]:
        replies = await actor.act(msg, Verdict(msg.incident, (d,), PNR))
        assert len(nxt.sent) == 1  # the notice follows the reply
        await actor.drain(5)
        return replies

    replies = asyncio.run(go())
    assert replies["a@gmail.com"].code == 250 and sec.sent == []
    assert [h.rcpts for h in nxt.sent] == [("a@gmail.com",), ("kalle@kommun.example.se",)]
    assert b"kind=test_notify" in nxt.sent[1].msg.raw


def test_trace_header_cannot_be_injected_through_a_rule_id() -> None:
    h = trace_header("DLP-20260101-AAAAAAAA", "deliver", ["evil\r\nBcc: x@y; rule=ok"], ["health"])
    assert h.count(b"\r\n") == 1 and b"Bcc" in h and b"\r\nBcc" not in h and b"; rule=ok" not in h
