"""What the apps' admins share."""


class ReadOnly:
    """An admin (or inline) that shows and never changes: for records others write (GİB's list,
    the hub's envelopes)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
