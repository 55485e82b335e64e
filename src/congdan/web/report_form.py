"""The report form as the browser sends it: read, kept for a re-render, turned into a ReportCreate.

The page takes a plain multipart form so that it works without JavaScript; what the resident typed
comes back in the same fields after an error, and photos already uploaded come back as their ids.
The rules themselves (what a report needs, where it is) stay in the submission service: errors it
raises are placed next to the field they are about.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field

from pydantic import ValidationError
from starlette.datastructures import FormData, UploadFile

from congdan.kit.errors import AppError, FieldError
from congdan.kit.i18n import _, translate
from congdan.kit.validation import from_pydantic
from congdan.reports.schemas import ReportCreate

REPORT = "report"
# On the suggestions page: góp ý, kiến nghị (it should be different) or hiến kế (a proposal).
SUGGESTION_KINDS = ("suggestion", "idea")
MAX_UPLOAD_IDS = 20

# Where an error about a field of the API's body is shown on the page.
_FIELD_OF = {
    "contact.phone": "phone",
    "contact.email": "email",
    "contact": "phone",
    "location.lat": "location",
    "location.long": "location",
    "visibility": "visibility",
    "kind": "kind",
}


def new_key() -> str:
    """The Idempotency-Key a rendered form carries: a double tap or a resend makes one report."""
    return secrets.token_urlsafe(18)


def _text(form: FormData, name: str, limit: int = 5000) -> str:
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""


@dataclass
class ReportForm:
    kind: str = REPORT
    description: str = ""
    address: str = ""
    lat: str = ""
    long: str = ""
    category: str = ""
    phone: str = ""
    email: str = ""
    hide_identity: bool = False
    visibility: str = "public"
    upload_ids: list[str] = field(default_factory=list)
    key: str = field(default_factory=new_key)

    @classmethod
    def read(cls, form: FormData, *, kinds: tuple[str, ...]) -> ReportForm:
        kind = _text(form, "kind", 16)
        ids = []
        for raw in form.getlist("upload_id")[:MAX_UPLOAD_IDS]:
            if isinstance(raw, str):
                try:
                    ids.append(str(uuid.UUID(raw)))
                except ValueError:
                    continue  # not one of ours: dropped rather than refused
        return cls(
            kind=kind if kind in kinds else kinds[0],
            description=_text(form, "description"),
            address=_text(form, "address", 600).strip(),
            lat=_text(form, "lat", 32).strip(),
            long=_text(form, "long", 32).strip(),
            category=_text(form, "category", 64).strip(),
            phone=_text(form, "phone", 40).strip(),
            email=_text(form, "email", 300).strip(),
            hide_identity=form.get("hide_identity") is not None,
            visibility="private" if _text(form, "visibility", 16) == "private" else "public",
            upload_ids=list(dict.fromkeys(ids)),
            key=_text(form, "idempotency_key", 255).strip() or new_key(),
        )

    def point(self) -> tuple[float, float] | None:
        """The position the page's script filled in; None when it is empty or unreadable."""
        try:
            lat, lon = float(self.lat), float(self.long)
        except ValueError:
            return None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            return None
        return lat, lon

    def problems(self) -> list[FieldError]:
        """What the page itself must ask again before the service can read the form."""
        errors = []
        if not self.description.strip():
            message = (
                _("Hãy viết vài lời về việc bạn muốn phản ánh, ví dụ: «Ổ gà lớn trước số 12 Lê Lợi».")
                if self.kind == REPORT
                else _("Hãy viết ý kiến của bạn, dù chỉ một câu.")
            )
            errors.append(FieldError("description", message))
        if (self.lat or self.long) and self.point() is None:
            errors.append(
                FieldError("location", _("Không đọc được vị trí. Hãy lấy lại vị trí hoặc nhập địa chỉ."))
            )
        return errors

    def to_create(self, photos: list[uuid.UUID]) -> ReportCreate:
        """The API's body for this form; ValidationFailed (with the page's field names) if it is not one."""
        point = self.point() if self.kind == REPORT else None
        contact = {k: v for k, v in (("phone", self.phone), ("email", self.email)) if v}
        body = {
            "kind": self.kind,
            "description": self.description,
            "category": self.category or None,
            "location": {"lat": point[0], "long": point[1]} if point else None,
            "address": (self.address or None) if self.kind == REPORT else None,
            "photos": photos,
            "visibility": self.visibility,
            "hide_identity": self.hide_identity,
            "contact": contact or None,
        }
        try:
            return ReportCreate.model_validate(body)
        except ValidationError as exc:
            raise from_pydantic(exc.errors()) from None


def field_errors(error: AppError, locale: str) -> dict[str, str]:
    """An error of the service as sentences by the page's fields (the first for each field)."""
    found: dict[str, str] = {}
    for item in error.errors or [FieldError("form", error.detail, error.params)]:
        name = _FIELD_OF.get(item.field, item.field.split(".")[0])
        found.setdefault(name, translate(item.message, locale, **(item.params or {})))
    return found


def uploads(form: FormData) -> list[UploadFile]:
    """The photos chosen in the form's file input (empty parts are a file input left empty)."""
    return [f for f in form.getlist("photo") if isinstance(f, UploadFile) and f.filename][:MAX_UPLOAD_IDS]
