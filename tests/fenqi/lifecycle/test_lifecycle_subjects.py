"""Whose conversation is it: the ids the channels derive for a verified user, nothing else."""
from fenqi.clock import utcnow
from fenqi.db.engine import session_scope
from fenqi.db.models import User, WechatBinding
from fenqi.lifecycle.subjects import Subject, subject_for


def test_a_users_conversations_on_every_channel():
    me = Subject("u1", openids=("oOpenIdOfU1",))
    for sender in ("web:u1", "rest:u:u1", "rest:u:u1:app", "rest:u:u1:a.b-c_d@e", "wx:oOpenIdOfU1"):
        assert me.owns(sender), sender
    for sender in ("web:u10", "rest:u:u10", "rest:u:u1x:app", "anon:u1", "rest:anon:u1", "wx:oOther",
                   "web:u1:x", "rest:u:u1:a:b", "rest:u:u1:"):
        assert not me.owns(sender), sender


def test_a_rest_key_that_is_also_another_user_id_stays_with_that_user():
    """``rest:u:a:b`` is user ``a`` with key ``b`` unless a user ``a:b`` exists."""
    assert Subject("a").owns("rest:u:a:b")
    assert not Subject("a", longer_user_ids=frozenset({"a:b"})).owns("rest:u:a:b")
    assert Subject("a", longer_user_ids=frozenset({"a:b"})).owns("rest:u:a:c")


def test_subject_for_reads_bindings_and_longer_user_ids(factory):
    now = utcnow()
    with session_scope(factory) as session:
        for uid in ("a", "a:b", "a_b", "ab"):
            session.add(User(user_id=uid, name=uid, region="北京", credit_rating="A"))
        session.flush()
        session.add_all([WechatBinding(openid="oA2", user_id="a", bound_at=now),
                         WechatBinding(openid="oA1", user_id="a", bound_at=now),
                         WechatBinding(openid="oB", user_id="ab", bound_at=now)])
    with session_scope(factory) as session:
        subject = subject_for(session, "a")
    assert subject.openids == ("oA1", "oA2") and subject.longer_user_ids == {"a:b"}
    assert subject.exact_ids == ("web:a", "rest:u:a", "wx:oA1", "wx:oA2")
