"""Demo data of the web shell: who runs the demo installation (clearly a demo)."""

from __future__ import annotations

from nentang.kernel import demodata
from nentang.web.models import Installation
from nentang.web.selectors import installation_forget

DEMO = {
    "name": "Cổng dịch vụ số (bản trình diễn)",
    "agency": "Trung tâm Chuyển đổi số — đơn vị giả định của bản trình diễn nentang",
    "address": "Phường Sài Gòn, Thành phố Hồ Chí Minh",
    "hotline": "1800 0000",
    "email": "hotro@nentang.example",
    "privacy_email": "dulieucanhan@nentang.example",
}


@demodata.loader("web")
def load(progress: demodata.Progress) -> None:
    progress.start("Installation identity", 1)
    Installation.objects.get_or_create(pk=1, defaults=DEMO)
    installation_forget()
    progress.advance()
