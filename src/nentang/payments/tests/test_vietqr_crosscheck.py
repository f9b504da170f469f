"""VietQR payloads cross-checked with an implementation we did not write: the npm
package ``vietnam-qr-pay`` (MIT, pinned below), installed from the registry into a
temporary folder and run by Node.

* Every payload we build — static and dynamic, bank transfer and merchant, with
  purpose, bill number, reference and terminal — is valid for it (CRC included) and
  decodes to the same fields.
* Every payload it builds, and the vectors its README publishes, parse with ours to the
  same fields; a corrupted CRC is refused by both.

Skipped only when Node.js is not installed (the test says so)."""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

import pytest

from nentang.kernel.errors import ValidationFailed
from nentang.payments.services import VietQR, vietqr_parse, vietqr_payload

PACKAGE = "vietnam-qr-pay@1.5.1"
BRIDGE = r"""
const { QRPay } = require(process.argv[2]);
const input = JSON.parse(require("fs").readFileSync(0, "utf8"));
const read = (text) => {
  const q = new QRPay(text);
  const extra = q.additionalData || {};
  return {
    isValid: q.isValid, initMethod: q.initMethod ?? null, guid: q.provider.guid ?? null,
    service: q.provider.service ?? null, bankBin: q.consumer.bankBin ?? null,
    bankNumber: q.consumer.bankNumber ?? null, category: q.category ?? null,
    currency: q.currency ?? null, amount: q.amount ?? null, nation: q.nation ?? null,
    merchantName: q.merchant.name ?? null, city: q.city ?? null,
    purpose: extra.purpose ?? null, billNumber: extra.billNumber ?? null,
    reference: extra.reference ?? null, terminal: extra.terminal ?? null,
  };
};
const built = input.build.map((options) => QRPay.initVietQR(options).build());
console.log(JSON.stringify({ decoded: input.decode.map(read), built }));
"""

OURS = [
    VietQR(bank_bin="970415", account="0011001932418", service="QRIBFTTA", amount=120_000,
           purpose="ung ho lu lut"),
    VietQR(bank_bin="970436", account="1234567890", service="QRIBFTTA"),
    VietQR(bank_bin="970499", account="BANHMISAIGON", service="QRPUSH", mcc="5812",
           merchant_name="Banh mi Sai Gon", city="Ho Chi Minh", terminal="QUAY1"),
    VietQR(bank_bin="970499", account="UBNDPHUONGSAIGON", service="QRIBFTTA", amount=205_000,
           bill_number="000.00.26.H29-2612", reference="HS-0002", purpose="Le phi LLTP"),
    VietQR(bank_bin="970422", account="4221234567890123", service="QRIBFTTC", amount=1),
]  # fmt: skip
THEIRS = [
    {"bankBin": "970416", "bankNumber": "257678859"},
    {"bankBin": "970416", "bankNumber": "257678859", "amount": "10000", "purpose": "Chuyen tien"},
    {"bankBin": "970436", "bankNumber": "0071000888888", "amount": "99999999",
     "purpose": "Thanh toan don hang 1234", "service": "QRIBFTTC"},
]  # fmt: skip
# The package's README: a static code, a dynamic one, and its decoding example.
PUBLISHED = [
    "00020101021138530010A0000007270123000697041601092576788590208QRIBFTTA53037045802VN6304AE9F",
    "00020101021238530010A0000007270123000697041601092576788590208QRIBFTTA5303704540510000"
    "5802VN62150811Chuyen tien630453E6",
    "00020101021238530010A0000007270123000697041601092576788590208QRIBFTTA53037045404100058"
    "02VN62150811Chuyen tien6304BBB8",
]


@pytest.fixture(scope="module")
def qr_pay(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Run the package on payloads to decode and options to build."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("Node.js (node and npm) is not installed: the npm cross-check cannot run")
    folder = tmp_path_factory.mktemp("vietnam-qr-pay")
    installed = subprocess.run(
        [npm, "install", "--no-audit", "--no-fund", "--prefix", str(folder), PACKAGE],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stderr
    module = folder / "node_modules" / "vietnam-qr-pay"
    version = json.loads((module / "package.json").read_text(encoding="utf-8"))["version"]
    assert f"vietnam-qr-pay@{version}" == PACKAGE
    (folder / "bridge.js").write_text(BRIDGE, encoding="utf-8")

    def run(decode: list[str], build: list[dict[str, str]]) -> dict[str, Any]:
        done = subprocess.run(
            [node, str(folder / "bridge.js"), str(module)],
            input=json.dumps({"decode": decode, "build": build}),
            capture_output=True, text=True, timeout=60, check=True,
        )  # fmt: skip
        return dict(json.loads(done.stdout))

    return run


def _as_theirs(qr: VietQR) -> dict[str, Any]:
    """Our fields, named and shaped as the package reports them (absent: null)."""
    return {
        "isValid": True,
        "initMethod": "12" if qr.dynamic else "11",
        "guid": "A000000727",
        "service": qr.service,
        "bankBin": qr.bank_bin,
        "bankNumber": qr.account,
        "category": qr.mcc or None,
        "currency": "704",
        "amount": str(qr.amount) if qr.amount is not None else None,
        "nation": "VN",
        "merchantName": qr.merchant_name or None,
        "city": qr.city or None,
        "purpose": qr.purpose or None,
        "billNumber": qr.bill_number or None,
        "reference": qr.reference or None,
        "terminal": qr.terminal or None,
    }


def test_our_payloads_decode_to_the_same_fields_with_theirs(qr_pay: Any) -> None:
    payloads = [vietqr_payload(qr) for qr in OURS]

    decoded = qr_pay(payloads, [])["decoded"]

    assert decoded == [_as_theirs(qr) for qr in OURS]


def test_their_payloads_parse_to_the_same_fields_with_ours(qr_pay: Any) -> None:
    built = qr_pay([], THEIRS)["built"]
    theirs = qr_pay(built + PUBLISHED, [])["decoded"]

    for payload, fields in zip(built + PUBLISHED, theirs, strict=True):
        assert fields["isValid"], payload
        ours = vietqr_parse(payload)
        assert _as_theirs(ours) == fields, payload
        assert vietqr_payload(ours) == payload  # and we rebuild it byte for byte
    assert [vietqr_parse(p).amount for p in built] == [None, 10_000, 99_999_999]


def test_a_corrupted_crc_is_refused_by_both(qr_pay: Any) -> None:
    payload = vietqr_payload(OURS[0])
    corrupted = payload[:-4] + ("0000" if not payload.endswith("0000") else "FFFF")

    [theirs] = qr_pay([corrupted], [])["decoded"]

    assert theirs["isValid"] is False
    with pytest.raises(ValidationFailed) as refused:
        vietqr_parse(corrupted)
    assert refused.value.code == "qr_bad_crc"
