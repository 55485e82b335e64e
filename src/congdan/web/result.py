"""The screen right after sending (/da-gui/<code>), and the offer made there to a signed-in
resident after their first report: notifications on this device (web push).

The offer is in the page but hidden; result.js shows it only where the browser can take push
messages, and asks the browser's permission only when the resident presses its button. Without
JavaScript, or where push is not set up, the screen is the same without it. The subscription is
posted to this site with the resident's browser session and a CSRF header, not to the JSON API, which
reads only bearer tokens.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from congdan.authz.policy import PUBLIC
from congdan.deps import SessionDep, SettingsDep
from congdan.integrations.push import published_key
from congdan.kit.codes import normalise_tracking_code
from congdan.kit.errors import NotFound
from congdan.notifications import service as notifications
from congdan.notifications.schemas import PushSubscriptionIn
from congdan.reports import repository, service
from congdan.web.alerts import ALERT_BANNER
from congdan.web.rendering import PageLocale, render
from congdan.web.resident_session import ResidentPageDep, current_resident
from congdan.web.tracking import deadline

router = APIRouter(include_in_schema=False)

RESULT_PATH = "/da-gui"
PUSH_PATH = "/cua-toi/thiet-bi/thong-bao"


@router.get(RESULT_PATH + "/{code}", response_class=HTMLResponse, dependencies=[ALERT_BANNER])
async def result_page(request: Request, language: PageLocale, code: str, session: SessionDep) -> Response:
    """The code at once, large, and what happens next; the tracking page has the rest."""
    locale = language.locale
    normalised = normalise_tracking_code(code)
    try:
        if normalised is None:
            raise NotFound()
        report = await service.get_by_code(session, normalised)
    except NotFound:
        # The look-up page says, in a sentence, that no report has this code and how to fix it.
        return RedirectResponse(f"/theo-doi?{urlencode({'code': code})}", status_code=303)
    out = await service.report_out(session, PUBLIC, report, locale)
    base = str(request.base_url).rstrip("/")
    resident = await current_resident(request, session)
    push_key = published_key(request.app.state.settings)
    first = (
        push_key is not None
        and resident is not None
        and resident.account_id is not None
        and report.reporter_id == resident.account_id
        and await repository.count_sent_by(session, resident.account_id) == 1
    )
    context = {
        "code": out.tracking_code,
        "kind": out.kind,
        "status": out.status.value,
        "agency": out.agency.name if out.agency else None,
        "due": deadline(out.due_at, locale),
        "tracking_url": f"{base}/theo-doi/{out.tracking_code}",
        "push_key": push_key if first else None,
        "push_path": PUSH_PATH,
    }
    return render(request, "app/report/result.html", context, locale=locale, lang=language.choice)


@router.post(PUSH_PATH, status_code=204)
async def add_device(
    data: PushSubscriptionIn, resident: ResidentPageDep, session: SessionDep, settings: SettingsDep
) -> Response:
    """Stores this browser's push subscription for the signed-in resident; a subscription the
    server may not send to is refused (problem+json) and nothing is stored."""
    assert resident.account_id is not None
    await notifications.register_push(
        session,
        settings,
        resident.account_id,
        data.endpoint,
        (data.keys.p256dh, data.keys.auth),
        data.user_agent,
    )
    return Response(status_code=204)
