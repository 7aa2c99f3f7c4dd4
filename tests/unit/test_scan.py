"""The one pipeline: extraction + detection folded into findings, decided by the policy."""

from email.message import EmailMessage

from gateway.detect import Text
from gateway.model import Action, Category, Hit, Location
from gateway.policy import load_policy
from gateway.scan import ScanSettings, _fold, scan_bytes, scan_message


def _mail(body: str, subject: str = "Hej") -> bytes:
    m = EmailMessage()
    m["From"] = "anna@kommun.example.se"
    m["To"] = "x@example.com"
    m["Subject"] = subject
    m.set_content(body)
    return m.as_bytes()


def test_fold_counts_distinct_values_and_keeps_best_confidence() -> None:
    loc = Location(("body[text/plain]",))
    text = Text("t", loc, "body")
    hits = [
        Hit("se_personnummer", Category.PERSONNUMMER, (0, 1), 0.8, value="1", sample="19****"),
        Hit("se_personnummer", Category.PERSONNUMMER, (2, 3), 0.97, value="1", sample="19****"),
        Hit("se_personnummer", Category.PERSONNUMMER, (4, 5), 0.9, value="2", sample="20****"),
        Hit("health", Category.HEALTH, (6, 7), 0.5, sample="diabetes*"),
    ]
    findings, below = _fold([text], [hits], 0.7)
    assert len(findings) == 1 and findings[0].count == 2 and findings[0].confidence == 0.97
    assert [f.detector for f in below] == ["health"]


def test_personnummer_in_body_is_found_masked_and_rerouted() -> None:
    raw = _mail("Hej! Eleven har personnummer 19121212-1212, se bifogat.")
    result = scan_bytes(raw)
    found = [f for f in result.findings if f.category == Category.PERSONNUMMER]
    assert found and found[0].location == "body[text/plain]"
    assert found[0].sample == "1912****-**12"
    assert "1212-1212" not in repr(result)
    verdict = scan_message(raw, "anna@kommun.example.se", ["x@example.com"], load_policy())
    assert verdict.action == Action.REROUTE and verdict.rule == "sensitive-external"


def test_clean_mail_is_delivered_and_internal_mail_too() -> None:
    policy = load_policy()
    clean = _mail("Hej, mötet flyttas till torsdag kl 14.00 i rum 3. Ring 070-123 45 67 vid frågor.")
    assert scan_message(clean, "a@kommun.example.se", ["x@example.com"], policy).action == Action.DELIVER
    sensitive = _mail("Personnummer 19121212-1212")
    v = scan_message(sensitive, "a@kommun.example.se", ["b@kommun.example.se"], policy, internal=["kommun.example.se"])
    assert v.action == Action.DELIVER


def test_disabled_detector_does_not_run() -> None:
    raw = _mail("Personnummer 19121212-1212")
    settings = ScanSettings(detectors={"se_personnummer": {"enabled": False}})
    assert not [f for f in scan_bytes(raw, settings).findings if f.detector == "se_personnummer"]
