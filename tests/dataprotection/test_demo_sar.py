"""On the demo partnership: the subject access request for an exploited child holds every event and
decision about them and no other child's name, address or identifier, and proposes no redaction of
the child's own history."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from pypdf import PdfReader

from safeguarding.accounts.models import User
from safeguarding.dataprotection import services
from safeguarding.dataprotection.models import SarRedaction, SubjectAccessRequest
from safeguarding.frontdoor.models import Concern
from safeguarding.people import identity
from safeguarding.people.models import Event, Person, PersonRole, SourceRecord

pytestmark = pytest.mark.django_db(transaction=True)


def _values(record: SourceRecord) -> set[str]:
    names = {record.full_name, f"{record.given_name} {record.family_name}"}
    identifiers = {record.nhs_number, record.upn, record.pnc_id, record.address, *record.phones.split(";"),
                   *record.emails.split(";")}
    return {v.strip() for v in names | identifiers if v and len(v.strip()) > 5}


def test_the_demo_sar_holds_the_childs_history_and_no_other_childs_details(tmp_path) -> None:  # type: ignore[no-untyped-def]
    call_command("demo", children=80, out=tmp_path, quiet=True)
    sar = SubjectAccessRequest.objects.get()
    dpo = User.objects.get(username="dpo")
    child = sar.person
    root = identity.root_id(child)
    own_records = list(SourceRecord.objects.filter(person__root_id=root))
    own = set().union(*(_values(r) for r in own_records)) | {v.lower() for r in own_records for v in _values(r)}

    # No proposal touches the child's own history: their names, identifiers, or the agencies' words.
    for r in SarRedaction.objects.filter(item__request=sar):
        assert r.text not in own and r.text.lower() not in own
        assert r.item.kind not in ("own_words", "source_record")
        assert r.category in ("other_child", "adult", "referrer", "identifier")

    services.sar_redactions_accept_all(acting_user=dpo, sar=sar)
    bundle = services.sar_bundle_produce(acting_user=dpo, sar=sar)
    data = json.loads(bytes(bundle.data))
    text = json.dumps(data, ensure_ascii=False)
    pdf_text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(bytes(bundle.pdf))).pages).replace("\n", " ")

    sources = {item["source"] for section in data["sections"] for item in section["items"]}
    events = Event.objects.filter(source_record__person__root_id=root).select_related("source_system")
    assert events.exists()
    for event in events:
        key = f"{event.source_system.code} {event.event_id}"
        assert (key in sources) != event.is_restricted_intelligence, key
    for concern in Concern.objects.filter(child__root_id=root):
        assert f"concern {concern.reference}" in sources
    assert any(item["source"].startswith("support plan") for s in data["sections"] for item in s["items"])

    others = SourceRecord.objects.exclude(person__root_id=root).filter(role=PersonRole.CHILD)
    assert others.count() > 30
    leaked = []
    for record in others:
        for value in _values(record) - own:
            # A sibling's record may hold the child's own address, written shorter ("7 Ivy Avenue" beside
            # the child's "7 Ivy Avenue, Maltby"): that is the child's own, not another child's detail.
            if any(value.lower() in mine.lower() for mine in own):
                continue
            if value in text or value in pdf_text:
                leaked.append((record.pk, value))
    assert not leaked, leaked[:10]
    assert Person.objects.count() > 60
