from django.db import models

from safepact.lib.ids import CodeField
from safepact.lib.tlp import TLPLabelled


class Note(TLPLabelled):
    """The smallest labelled content: a title in a partnership."""

    code = CodeField()
    partnership = models.ForeignKey("partnerships.Partnership", on_delete=models.CASCADE, related_name="+")
    title = models.CharField(max_length=200)

    class Meta(TLPLabelled.Meta):
        ordering = ["id"]

    def __str__(self) -> str:
        return self.title
