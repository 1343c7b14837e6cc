from tests.conftest import GOOD_MEDIATION
from sqlalchemy import select
from xingan_desk.storage.schema import RecordEvent, Record
def test_dbg(make_window, central_url):
    a = make_window("152223", "02")
    b = make_window("152223", "03")
    med, _ = a.desk.create("mediation", GOOD_MEDIATION, register_enterprise=False)
    a.desk.act(med.id, "accept", {"accepted_on": "2026-03-03", "mediator": "张三"})
    a.sync()
    cl = b.client(verify=False)
    r = cl.run_once()
    print(b.desk.get(med.id).status, a.desk.get(med.id).status)
    with b.desk._ro() as s:
        for e in s.scalars(select(RecordEvent)): print(e.action, e.from_status, e.hlc, e.applied)
        for e in s.scalars(select(Record)): print(e.status, e.needs_review)
    from xingan_desk.records.kinds import KINDS
    with b.desk._tx() as s:
        rec = b.desk._load(s, med.id)
        b.desk._refold(s, KINDS["mediation"], rec)
        print("after manual refold", rec.status)
