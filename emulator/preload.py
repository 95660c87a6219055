"""Other hosts' credentials that a cluster already holds (``--preload N``).

A live cluster serves thousands of hosts besides the suite's, and what a run costs there
depends on them. ``--preload N`` starts the emulator with N such records, so that a run or a
benchmark meets a big cluster on one machine. They are drawn from ``random.Random(seed)``:
the same N, seed and SVMs give the same records, in the shapes real hosts send (VMware, RHEL,
Debian/Ubuntu and Windows IQNs, some EUIs), about 60 % CHAP (a third of those with outbound
CHAP too), 30 % none and 10 % deny, about 15 % with an address list. Passwords are drawn
like the rest; like every password they are never returned, logged or printed.

No name falls inside the suite's namespaces (``iqn.2000-01.org.conformance.*``,
``iqn.2000-01.org.example.conformance*``) or its EUI prefix (``eui.2000c0de``).
"""

from __future__ import annotations

import ipaddress
import random
import string
from collections.abc import Sequence

from emulator.state import Chap, Credential, SvmSeed
from emulator.validation import Mask, Range

DEFAULT_SEED = 20_240_101
MAX_PRELOAD = 100_000
#: Prefixes the suite creates under; a preloaded name never starts with one (case-folded).
RESERVED = ("iqn.2000-01.org.conformance", "iqn.2000-01.org.example.conformance", "eui.2000c0de")
_SITES = ("ams", "fra", "nyc", "sjc", "lon", "sin", "par", "dal")
_ROLES = ("sql", "web", "app", "fs", "exch", "hv", "dc", "backup")
_DOMAINS = ("corp.example.com", "ad.example.net", "prod.example.org", "lab.example.com")
_PASSWORD_CHARS = string.ascii_letters + string.digits + "!#%+-=_"


class PreloadError(ValueError):
    """A ``--preload`` that cannot be honoured (bad N, no SVM with the iSCSI service)."""


def parse_count(text: str) -> int:
    """``--preload N``: a whole number from 0 to MAX_PRELOAD, else a one-line error."""
    value = text.strip()
    if not (value.isascii() and value.isdigit()) or len(value) > 7 or int(value) > MAX_PRELOAD:
        raise PreloadError(f"--preload takes a whole number of records from 0 to {MAX_PRELOAD}, "
                           f"not {text!r}")
    return int(value)


def shares(total: int, svms: int) -> list[int]:
    """How many records each iSCSI SVM gets: about half on the first, the rest spread
    evenly over the others (not evenly over all: real clusters have one busy SVM)."""
    if svms <= 1:
        return [total] * svms
    first = (total + 1) // 2
    rest, extra = divmod(total - first, svms - 1)
    return [first] + [rest + (1 if i < extra else 0) for i in range(svms - 1)]


def generate(seed_svms: Sequence[SvmSeed], count: int, seed: int = DEFAULT_SEED
             ) -> list[Credential]:
    """``count`` credentials over the seed's iSCSI SVMs, deterministic in ``seed``."""
    targets = [s for s in seed_svms if s.iscsi]
    if count and not targets:
        raise PreloadError("--preload needs an SVM with the iSCSI service in the seed")
    rng = random.Random(seed)
    out: list[Credential] = []
    number = 0
    for svm, share in zip(targets, shares(count, len(targets)), strict=True):
        taken: set[str] = set()
        while len(taken) < share:
            number += 1
            kind, host, initiator = _initiator(rng, number)
            if initiator in taken or initiator.lower().startswith(RESERVED):
                continue
            taken.add(initiator)
            out.append(_credential(rng, svm.uuid, initiator, kind, host, number))
    return out


def _hex(rng: random.Random, digits: int) -> str:
    return f"{rng.getrandbits(4 * digits):0{digits}x}"


def _initiator(rng: random.Random, number: int) -> tuple[str, str, str]:
    """(host kind, host name, initiator name) in the shape that kind of host reports."""
    draw = rng.random()
    site = rng.choice(_SITES)
    if draw < 0.40:
        host = f"esx-{site}-{number:04d}"
        return "esx", host, f"iqn.1998-01.com.vmware:{host}-{_hex(rng, 8)}"
    if draw < 0.60:
        return "rhel", f"rhel-{site}-{number:04d}", f"iqn.1994-05.com.redhat:{_hex(rng, 12)}"
    if draw < 0.75:
        return "deb", f"deb-{site}-{number:04d}", f"iqn.1993-08.org.debian:01:{_hex(rng, 12)}"
    if draw < 0.90:
        host = f"{rng.choice(_ROLES)}-{site}-{number:04d}"
        return "win", host, f"iqn.1991-05.com.microsoft:{host}.{rng.choice(_DOMAINS)}"
    digits = _hex(rng, 16)
    if rng.random() < 0.4:  # some hosts send EUIs in uppercase; they are stored as sent
        digits = digits.upper()
    return "eui", f"eui-{site}-{number:04d}", f"eui.{digits}"


def _password(rng: random.Random) -> str:
    if rng.random() < 0.2:  # a hex secret, an even number of digits
        return "0x" + _hex(rng, 2 * rng.randint(8, 16))
    return "".join(rng.choice(_PASSWORD_CHARS) for _ in range(rng.randint(12, 16)))


def _credential(rng: random.Random, svm_uuid: str, initiator: str, kind: str, host: str,
                number: int) -> Credential:
    draw = rng.random()
    auth = "chap" if draw < 0.6 else "none" if draw < 0.9 else "deny"
    cred = Credential(svm_uuid, initiator, auth)
    if auth == "chap":
        cred.inbound = Chap(f"{kind}-host-{number:04d}", _password(rng))
        if rng.random() < 1 / 3:
            outbound = _password(rng)
            while outbound == cred.inbound.password:
                outbound = _password(rng)
            cred.outbound = Chap(f"{host}-target", outbound)
    if rng.random() < 0.15:
        cred.ranges, cred.masks = _addresses(rng)
    return cred


def _addresses(rng: random.Random) -> tuple[list[Range], list[Mask]]:
    """A short access list: IPv4 ranges and masks, now and then an IPv6 prefix."""
    ranges: list[Range] = []
    masks: list[Mask] = []
    for _ in range(rng.randint(1, 3)):
        pick = rng.random()
        if pick < 0.45:
            low = rng.randint(1, 200)
            base = f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}"
            ranges.append(Range(ipaddress.ip_address(f"{base}.{low}"),
                                ipaddress.ip_address(f"{base}.{low + rng.randint(0, 50)}")))
        elif pick < 0.9:
            masks.append(Mask(ipaddress.ip_address(f"192.168.{rng.randint(0, 255)}.0"),
                              rng.choice((24, 24, 25, 26, 28))))
        else:
            masks.append(Mask(ipaddress.ip_address(f"fd00:{_hex(rng, 4)}:{_hex(rng, 4)}::"),
                              64))
    return list(dict.fromkeys(ranges)), list(dict.fromkeys(masks))
