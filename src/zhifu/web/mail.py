"""Demo e-mail: each message is kept as one .eml file under <data-dir>/mail/."""

from __future__ import annotations

import os
from collections.abc import Sequence

from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage

from zhifu.config.site import config
from zhifu.kernel import clock, ids


class EmlFileBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        directory = config().mail_dir
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        sent = 0
        for message in email_messages:
            stamp = clock.now().strftime("%Y%m%dT%H%M%S")
            name = f"{stamp}-{ids.new_id('mail').removeprefix('mail_')}.eml"
            tmp = directory / f".{name}.tmp"
            tmp.write_bytes(message.message().as_bytes(linesep="\n"))
            os.replace(tmp, directory / name)  # readers never see a half-written file
            sent += 1
        return sent
