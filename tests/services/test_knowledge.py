"""Knowledge base: create / edit with validation and optimistic locking, Chinese search over title, body
and tags, criterion and tag filters, inactive articles hidden from agents."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from qa_app.db.models import AuditEvent
from qa_app.services import knowledge
from qa_app.services.errors import Conflict, Forbidden, Invalid, NotFound
from qa_app.services.knowledge import ArticleInput

import factories

CRITERIA = ["greeting", "empathy", "prohibited_language"]


@pytest.fixture
def people(db):
    return factories.create_user(db, "trainer"), factories.create_user(db, "agent")


def _new(db, trainer, title, body, **kw):
    a = knowledge.create(db, ArticleInput(title, body, **kw), actor=trainer, known_criteria=CRITERIA)
    db.commit()
    return a


def test_chinese_search_matches_title_body_and_tags(db, people):
    trainer, agent = people
    greet = _new(db, trainer, "标准开场白", "您好，很高兴为您服务，我是工号1021。", criteria=["greeting"], tags=["话术"])
    calm = _new(db, trainer, "安抚客户情绪", "先致歉，再确认需求：非常抱歉给您带来不便。", criteria=["empathy"], tags=["投诉", "话术"])
    _new(db, trainer, "Prohibited phrases", "Never say 这是公司规定.", criteria=["prohibited_language"])

    def ids(**kw):
        return [a.id for a in knowledge.search(db, agent, **kw).items]

    assert ids(query="开场") == [greet.id]
    assert ids(query="抱歉") == [calm.id]  # body
    assert ids(query="投诉") == [calm.id]  # a free tag
    assert set(ids(query="话术")) == {greet.id, calm.id}
    assert ids(query="话术 致歉") == [calm.id]  # every term must match
    assert ids(query="公司规定") and ids(query="PROHIBITED") == ids(query="prohibited")
    assert ids(query="100%") == [] and ids(query="_") == []  # LIKE wildcards are literal
    assert ids(criterion="empathy") == [calm.id]
    assert ids(tag="话术", query="工号") == [greet.id]
    assert knowledge.search(db, agent).total == 3
    assert [a.id for a in knowledge.for_criteria(db, ["greeting", "empathy"])] == [calm.id, greet.id]
    assert knowledge.all_tags(db) == sorted(["话术", "投诉"])


def test_validation_editing_conflicts_and_inactive_articles(db, people):
    trainer, agent = people
    with pytest.raises(Invalid, match="title"):
        knowledge.create(db, ArticleInput(" ", "正文"), actor=trainer, known_criteria=CRITERIA)
    with pytest.raises(Invalid, match="body"):
        knowledge.create(db, ArticleInput("标题", "  "), actor=trainer, known_criteria=CRITERIA)
    with pytest.raises(Invalid, match="unknown criterion"):
        knowledge.create(db, ArticleInput("标题", "正文", criteria=["nope"]), actor=trainer, known_criteria=CRITERIA)
    with pytest.raises(Forbidden):
        knowledge.create(db, ArticleInput("标题", "正文"), actor=agent, known_criteria=CRITERIA)
    assert knowledge.parse_tags("话术，投诉、 宽带 ,话术") == ["话术", "投诉", "宽带"]

    a = _new(db, trainer, "结束语", "请问还有其他可以帮您的吗？", criteria=["greeting"], tags=["旧"])
    opened = a.version
    other = factories.create_user(db, "admin")
    knowledge.update(
        db, a, ArticleInput("结束语规范", "感谢来电。", criteria=["empathy"], tags=["新"]),
        actor=other, expected_version=opened, known_criteria=CRITERIA,
    )
    db.commit()
    assert (a.title, a.criteria, a.free_tags, a.updated_by_id) == ("结束语规范", ["empathy"], ["新"], other.id)
    with pytest.raises(Conflict):  # the first editor still holds the old version
        knowledge.update(db, a, ArticleInput("x", "y"), actor=trainer, expected_version=opened, known_criteria=CRITERIA)
    actions = [e.action for e in db.scalars(select(AuditEvent).where(AuditEvent.target == f"article:{a.id}"))]
    assert actions == ["knowledge_article_created", "knowledge_article_edited"]

    knowledge.update(
        db, a, ArticleInput(a.title, a.body, criteria=["empathy"], active=False),
        actor=trainer, expected_version=a.version, known_criteria=CRITERIA,
    )
    db.commit()
    with pytest.raises(NotFound):
        knowledge.get(db, a.id, agent)
    assert knowledge.get(db, a.id, trainer).id == a.id
    assert knowledge.search(db, agent, query="结束语").total == 0
    assert knowledge.search(db, trainer, query="结束语", include_inactive=True).total == 1
    assert knowledge.search(db, agent, query="结束语", include_inactive=True).total == 0
    assert knowledge.for_criteria(db, ["empathy"]) == []


def test_demo_articles_cover_the_default_rubric_and_are_seeded_once(db, people):
    """The demo seed writes real articles tagged with the default rubric's criteria (so a trainer sees
    suggestions on the first run), and a second seed writes none again."""
    from qa_app.demo.articles import DEMO_ARTICLES
    from qa_app.services import demo
    from qa_app.services import rubrics as rubric_service

    trainer, agent = people
    known = rubric_service.criterion_titles(rubric_service.ensure_default(db))
    assert all(c in known for a in DEMO_ARTICLES for c in a.criteria)
    assert demo.seed_articles(db, author=trainer) == len(DEMO_ARTICLES) >= 5
    db.commit()
    assert demo.seed_articles(db, author=trainer) == 0
    assert knowledge.search(db, agent).total == len(DEMO_ARTICLES)  # published: agents read them too
    for criterion in ("greeting", "verification", "empathy", "prohibited_language", "closing"):
        assert knowledge.for_criteria(db, [criterion]), criterion
    assert [a.title for a in knowledge.search(db, agent, query="工号").items]  # Chinese search finds them
