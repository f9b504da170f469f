from __future__ import annotations

from django.db import models

from nentang.kernel.ids import new_id


class CrossDeviceLogin(models.Model):
    """A login on one browser approved from a phone already logged in (issue 9), as
    VNeID does: the browser shows a QR code, the phone scans it, sees which browser and
    service ask, and approves; the browser's session starts.

    Two secrets, both kept only as SHA-256 digests: the ``code`` in the QR code (what
    the phone sends back to approve), and the ``browser`` secret held in the showing
    browser's session (what binds the login to it: another browser that learns the
    code cannot claim the login). Short-lived, single use (``claimed_at``, set by one
    conditional UPDATE).
    """

    class State(models.TextChoices):
        WAITING = "waiting", "Waiting for the phone"
        APPROVED = "approved", "Approved on the phone"
        REFUSED = "refused", "Refused on the phone"
        CLAIMED = "claimed", "Session started"

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    code_digest = models.CharField(max_length=64, unique=True)
    browser_digest = models.CharField(max_length=64)
    state = models.CharField(max_length=8, choices=State.choices, default=State.WAITING)
    user_agent = models.CharField(max_length=300, blank=True, default="")
    source_ip = models.GenericIPAddressField(null=True, blank=True)
    service = models.CharField(
        max_length=200, blank=True, default="", help_text="The service the login is for."
    )
    next_url = models.CharField(max_length=2000, blank=True, default="")
    account = models.ForeignKey(
        "identity.Account", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["source_ip", "created_at"], name="crossdevice_ip_idx")]

    def __str__(self) -> str:
        return f"cross-device login {self.id} ({self.state})"
