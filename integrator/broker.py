"""The embedded default's broker: kombu's filesystem transport, with each message written whole.

kombu creates a message's file and then writes into it, while a worker lists the folder, takes any
file named ``….<queue>.msg`` and parses it: a worker that comes between the two reads an empty or
half-written message, fails to parse it and stops. Here a message is written under a name no worker
takes (``….msg.part``) and renamed into place once complete (a rename is atomic on one file system).
"""

from __future__ import annotations

import os
import uuid
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps

PARTIAL = ".part"  # after ".msg": a worker reads only names whose part after the first dot is "<queue>.msg"


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        final = os.path.join(self.data_folder_out, f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg")
        partial = final + PARTIAL
        try:
            with open(partial, "wb") as file:
                file.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc


class Transport(filesystem.Transport):
    Channel = Channel
