"""What a connection test's offer must look like before aiortc parses it, and the one change
the service makes to its answer.

aiortc builds a transceiver for every media section and checks candidates one by one, so an
offer with thousands of either would cost the node dearly before it failed; an offer without a
usable DTLS fingerprint can never connect. Such offers are refused here, with a reason, before
any peer connection exists.
"""

from __future__ import annotations

import re

MAX_OFFER_BYTES = 64 * 1024
MAX_MEDIA_SECTIONS = 4
MAX_CANDIDATES = 64
MAX_LINE = 4096
#: Digest sizes (bytes) of the fingerprint algorithms aiortc can verify.
FINGERPRINT_BYTES = {"sha-256": 32, "sha-384": 48, "sha-512": 64}
_HEX_PAIR = re.compile(r"[0-9A-Fa-f]{2}")


class OfferRejected(Exception):
    """An offer the service will not answer; ``code`` says why, ``message`` in words."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def check_offer(sdp: str) -> None:
    """Raise :class:`OfferRejected` unless ``sdp`` is a plausible WebRTC offer of a connection
    test: SDP, at most 64 KiB, at most a few media sections, a bounded number of candidates, and
    a well-formed DTLS fingerprint for every media section."""
    if len(sdp.encode()) > MAX_OFFER_BYTES:
        raise OfferRejected("offer_too_large", "the offer is over 64 KiB")
    lines = sdp.replace("\r\n", "\n").split("\n")
    if not lines or lines[0].strip() != "v=0":
        raise OfferRejected("offer_not_sdp", "the offer is not SDP (it must start with v=0)")
    session_fingerprint = False
    sections: list[bool] = []  # per media section: it has a fingerprint
    candidates = 0
    for line in lines:
        line = line.strip()
        if not line:
            continue
        if len(line) > MAX_LINE or len(line) < 2 or line[1] != "=":
            raise OfferRejected("offer_not_sdp", "the offer has a line that is not SDP")
        if line.startswith("m="):
            sections.append(False)
            if len(sections) > MAX_MEDIA_SECTIONS:
                raise OfferRejected(
                    "offer_too_complex",
                    f"the offer has more than {MAX_MEDIA_SECTIONS} media sections",
                )
        elif line.startswith("a=candidate:"):
            candidates += 1
            if candidates > MAX_CANDIDATES:
                raise OfferRejected(
                    "offer_too_complex", f"the offer has more than {MAX_CANDIDATES} candidates"
                )
        elif line.startswith("a=fingerprint:"):
            _check_fingerprint(line.removeprefix("a=fingerprint:"))
            if sections:
                sections[-1] = True
            else:
                session_fingerprint = True
    if not sections:
        raise OfferRejected("offer_not_sdp", "the offer has no media section")
    if not session_fingerprint and not all(sections):
        raise OfferRejected("offer_no_fingerprint", "the offer has no DTLS fingerprint")


def _check_fingerprint(value: str) -> None:
    parts = value.split()
    if len(parts) != 2:
        raise OfferRejected("offer_bad_fingerprint", "the offer's DTLS fingerprint is malformed")
    algorithm, digest = parts[0].lower(), parts[1].split(":")
    size = FINGERPRINT_BYTES.get(algorithm)
    if size is None:
        raise OfferRejected(
            "offer_bad_fingerprint",
            f"the offer's fingerprint algorithm must be one of {', '.join(FINGERPRINT_BYTES)}",
        )
    if len(digest) != size or not all(_HEX_PAIR.fullmatch(b) for b in digest):
        raise OfferRejected(
            "offer_bad_fingerprint", f"the offer's {algorithm} fingerprint is malformed"
        )


def with_start_bitrate(answer: str, kbps: int) -> str:
    """The answer with ``x-google-start-bitrate`` on its VP8 format: Chrome then starts sending
    at ``kbps`` instead of its default 300 kbps, so a test of about ten seconds sees the upload
    a call would reach, not the first seconds of its ramp."""
    out = []
    for line in answer.split("\r\n"):
        out.append(line)
        match = re.fullmatch(r"a=rtpmap:(\d+) VP8/90000", line)
        if match:
            out.append(f"a=fmtp:{match.group(1)} x-google-start-bitrate={kbps}")
    return "\r\n".join(out)
