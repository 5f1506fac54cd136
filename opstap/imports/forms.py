from __future__ import annotations

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from opstap.core.forms import StyledFormMixin

from .kinds import IMPORTERS

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
FILE_TOO_LARGE = _("The file is larger than %(max)s; split it into smaller files.")


class UploadForm(StyledFormMixin, forms.Form):
    kind = forms.ChoiceField(
        label=_("What does the file hold?"),
        choices=[(kind, importer.title) for kind, importer in IMPORTERS.items()],
        widget=forms.RadioSelect,
    )
    file = forms.FileField(
        label=_("File"),
        help_text=_(
            "A .xlsx file (the first sheet is read) or a .csv file in UTF-8, separated by "
            "semicolons or commas. The first row names the columns. At most 10 MB."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.xlsx,.xlsm"}),
    )

    def clean_file(self) -> UploadedFile:
        upload = self.cleaned_data["file"]
        if upload.size and upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                FILE_TOO_LARGE, code="too_large", params={"max": filesizeformat(MAX_UPLOAD_BYTES)}
            )
        return upload
