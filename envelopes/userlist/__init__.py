"""GİB's registered-user list (kayıtlı kullanıcı listesi): importing it (``importing``) and looking
users up in it (``lookup``); the download from GİB is ``envelopes.gib.userlist``.

Import from here: these names are the package's interface, wherever their code lives.
"""

from envelopes.userlist.importing import (
    ImportResult,
    UserListError,
    UserListUnavailable,
    kind_from_name,
    userlist_import,
)
from envelopes.userlist.lookup import default_postbox, is_postbox, registered_user

__all__ = [
    "ImportResult",
    "UserListError",
    "UserListUnavailable",
    "default_postbox",
    "is_postbox",
    "kind_from_name",
    "registered_user",
    "userlist_import",
]
