# ruff: noqa: RUF001  (sentences in Turkish, Cyrillic and Persian letters are meant as such)
"""The shipped intake flow (dialogs/flows/intake.yaml), as a person and an office see it.

These tests pin what matters to the people using the chat: the flow loads, every text exists
in German, Leichte Sprache and English, every category of DOMAIN.md is offered, nothing asks
for identifying data, crisis words catch clear crises without firing on ordinary reports, and
the whole intake can be played to a handover in each language.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from dialogs.crisis import find_crisis
from dialogs.engine import GO_ON, TALK_NOW, new_state, step
from dialogs.loader import load_flow
from dialogs.model import (
    ANY_LANGUAGE,
    OPTIONAL_UI_TEXTS,
    UI_TEXTS,
    ConsentNode,
    CrisisCheckNode,
    Flow,
    FreeTextNode,
    HandoverNode,
    MultiChoiceNode,
    SingleChoiceNode,
    Text,
    WhenNode,
    YesNoNode,
    placeholders,
)
from dialogs.steps import (
    Back,
    BotMessage,
    ChoiceInput,
    ChoicesInput,
    CrisisDetected,
    CrisisHandoverRequested,
    DialogEnded,
    DialogState,
    HandoverRequested,
    Input,
    Output,
    Start,
    TextInput,
)

INTAKE = Path(__file__).resolve().parents[2] / "dialogs" / "flows" / "intake.yaml"
LANGUAGES = ["de", "ls", "en", "tr", "ru", "uk", "pl", "ar", "fa"]
NOW = datetime(2025, 3, 26, 10, 0, tzinfo=UTC)

MUNICIPALITIES = {
    "hannover": "Hannover",
    "barsinghausen": "Barsinghausen",
    "burgdorf": "Burgdorf",
    "burgwedel": "Burgwedel",
    "garbsen": "Garbsen",
    "gehrden": "Gehrden",
    "hemmingen": "Hemmingen",
    "isernhagen": "Isernhagen",
    "laatzen": "Laatzen",
    "langenhagen": "Langenhagen",
    "lehrte": "Lehrte",
    "neustadt_a_rbge": "Neustadt am Rübenberge",
    "pattensen": "Pattensen",
    "ronnenberg": "Ronnenberg",
    "seelze": "Seelze",
    "sehnde": "Sehnde",
    "springe": "Springe",
    "uetze": "Uetze",
    "wedemark": "Wedemark",
    "wennigsen": "Wennigsen",
    "wunstorf": "Wunstorf",
}
GROUNDS = {
    "racism",
    "antisemitism",
    "antiziganism",
    "gender",
    "gender_identity",
    "sexual_identity",
    "religion_belief",
    "disability",
    "chronic_illness",
    "age",
    "social_status",
    "language",
    "appearance",
    "care_responsibilities",
    "other",
}
LIFE_AREAS = {
    "work",
    "housing",
    "education",
    "goods_services",
    "health_care",
    "authorities_justice",
    "police",
    "public_transport",
    "public_space",
    "internet_media",
    "leisure",
    "other",
}
WISHES = {
    "information",
    "counselling",
    "complaint_support",
    "mediation",
    "accompaniment",
    "referral",
    "report_only",
}
CRISIS_NUMBERS = [
    "110",
    "112",
    "0800 111 0 111",
    "0800 111 0 222",
    "116 123",
    "116 016",
    "0800 123 99 00",
    "116 006",
    "116 111",
    "0800 546 546 5",
]


@pytest.fixture(scope="module")
def flow() -> Flow:
    return load_flow(INTAKE)


# ---------------------------------------------------------------- helpers


def all_texts(flow: Flow) -> Iterator[tuple[str, Text]]:
    """Every text a person can see, with a name saying where it is."""
    yield "title", flow.title
    for key, text in flow.ui.items():
        yield f"ui.{key}", text
    yield "crisis.message", flow.crisis.message
    for node in flow.nodes:
        if hasattr(node, "text"):
            yield f"{node.id}.text", node.text
        if isinstance(node, SingleChoiceNode | MultiChoiceNode):
            for choice in node.choices:
                yield f"{node.id}.{choice.id}", choice.label
        if isinstance(node, WhenNode):
            for bucket, text in node.options.items():
                yield f"{node.id}.{bucket}", text
        if isinstance(node, YesNoNode | CrisisCheckNode):
            yield f"{node.id}.yes", node.yes
            yield f"{node.id}.no", node.no
        if isinstance(node, ConsentNode):
            yield f"{node.id}.accept", node.accept
            yield f"{node.id}.decline", node.decline


def labels(flow: Flow) -> Iterator[tuple[str, Text]]:
    """Every answer a person may type instead of tapping it."""
    yield "ui.skip", flow.ui["skip"]
    for where, text in all_texts(flow):
        node_id, _, part = where.partition(".")
        if node_id in flow.nodes_by_id and part != "text":
            yield where, text


def in_language(text: Text, language: str) -> str:
    return text[ANY_LANGUAGE] if ANY_LANGUAGE in text else text[language]


def node_by_key(flow: Flow, key: str) -> SingleChoiceNode | MultiChoiceNode:
    found = [
        n for n in flow.nodes if isinstance(n, SingleChoiceNode | MultiChoiceNode) and n.key == key
    ]
    assert len(found) == 1, f"expected one choice node storing '{key}'"
    return found[0]


def choice_ids(flow: Flow, key: str) -> set[str]:
    return {c.id for c in node_by_key(flow, key).choices}


def play(
    flow: Flow, inputs: list[Input], language: str | None = None
) -> tuple[DialogState, list[Output]]:
    state = new_state(flow, language)
    outputs: list[Output] = []
    for inp in inputs:
        result = step(flow, state, inp, NOW)
        state = result.state
        outputs.extend(result.outputs)
    return state, outputs


def messages(outputs: list[Output]) -> list[BotMessage]:
    return [o for o in outputs if isinstance(o, BotMessage)]


def handovers(outputs: list[Output]) -> list[HandoverRequested]:
    return [o for o in outputs if isinstance(o, HandoverRequested)]


def intake_inputs(
    language: str,
    *,
    when: Input | None = None,
    life_area: tuple[str, ...] = ("work",),
    municipality: str = "garbsen",
    in_danger: str = "no",
    account: Input | None = None,
    contact: str = "anonymous_chat",
) -> list[Input]:
    """The answers of one complete intake, in dialog order."""
    return [
        Start(),
        ChoiceInput(language),
        ChoiceInput("accept"),
        ChoiceInput(in_danger),
        when or ChoiceInput("this_week"),
        ChoicesInput(life_area),
        ChoiceInput(municipality),
        ChoicesInput(("racism", "language")),
        account
        or TextInput("Bei der Wohnungsbesichtigung hieß es, an Ausländer vermieten wir nicht."),
        ChoiceInput("affected"),
        ChoicesInput(("information", "counselling")),
        ChoiceInput(contact),
        ChoiceInput("social_media"),
    ]


# ---------------------------------------------------------------- the file


def test_the_shipped_intake_loads_without_errors(flow: Flow) -> None:
    assert flow.id == "intake"
    assert flow.languages == LANGUAGES
    assert flow.default_language == "de"


def test_every_text_is_written_in_every_language(flow: Flow) -> None:
    problems = []
    for where, text in all_texts(flow):
        if ANY_LANGUAGE in text:
            if set(text) != {ANY_LANGUAGE} or not text[ANY_LANGUAGE].strip():
                problems.append(f"{where}: '*' must stand alone and not be empty")
            continue
        if set(text) != set(LANGUAGES):
            problems.append(f"{where}: languages {sorted(text)}")
        problems += [f"{where}.{lang}: empty" for lang, value in text.items() if not value.strip()]
    assert problems == []


def test_every_ui_text_exists(flow: Flow) -> None:
    # the optional precise text for an exclusive answer combined with others, too
    assert set(flow.ui) == {*UI_TEXTS, *OPTIONAL_UI_TEXTS}


def test_the_date_error_explains_the_format(flow: Flow) -> None:
    assert "TT.MM.JJJJ" in flow.ui["invalid_date"]["de"]
    assert "DD.MM.YYYY" in flow.ui["invalid_date"]["en"]
    assert "Tag. Monat. Jahr." in flow.ui["invalid_date"]["ls"]


def test_the_language_can_be_chosen_by_its_own_name(flow: Flow) -> None:
    first = flow.node(flow.start)
    assert isinstance(first, SingleChoiceNode)
    assert first.sets_language
    labels = {c.id: c.label for c in first.choices}
    assert labels == {
        "de": {ANY_LANGUAGE: "Deutsch"},
        "ls": {ANY_LANGUAGE: "Leichte Sprache"},
        "en": {ANY_LANGUAGE: "English"},
        "tr": {ANY_LANGUAGE: "Türkçe"},
        "ar": {ANY_LANGUAGE: "العربية"},
        "uk": {ANY_LANGUAGE: "Українська"},
        "ru": {ANY_LANGUAGE: "Русский"},
        "pl": {ANY_LANGUAGE: "Polski"},
        "fa": {ANY_LANGUAGE: "فارسی"},
        "other": {ANY_LANGUAGE: "Andere Sprache / Other language"},
    }


def test_another_language_goes_on_in_english_and_says_any_language_may_be_written(
    flow: Flow,
) -> None:
    state, outputs = play(flow, [Start(), ChoiceInput("other")])
    assert state.language == "en" and state.answers["language"] == "other"
    said = messages(outputs)
    assert "You can write in any language" in said[-3].text and "jeder Sprache" in said[-3].text
    consent = flow.node("consent")
    assert isinstance(consent, ConsentNode)
    assert said[-1].text == in_language(consent.text, "en")


# ---------------------------------------------------------------- categories


def test_all_21_municipalities_are_offered(flow: Flow) -> None:
    node = node_by_key(flow, "municipality")
    offered = {c.id: c.label for c in node.choices}
    for choice_id, name in MUNICIPALITIES.items():
        assert offered.get(choice_id) == {ANY_LANGUAGE: name}
    assert set(offered) == {*MUNICIPALITIES, "outside_region", "no_answer"}


def test_every_ground_of_domain_md_is_offered(flow: Flow) -> None:
    assert choice_ids(flow, "grounds") == {*GROUNDS, "not_sure"}


def test_every_life_area_of_domain_md_is_offered(flow: Flow) -> None:
    assert choice_ids(flow, "life_area") == {*LIFE_AREAS, "not_sure"}


def test_every_wish_of_domain_md_is_offered(flow: Flow) -> None:
    assert choice_ids(flow, "wishes") == {*WISHES, "not_sure"}


def test_who_reports_has_a_no_answer(flow: Flow) -> None:
    assert choice_ids(flow, "reporter") == {"affected", "witness", "professional", "no_answer"}


def test_the_outreach_question_can_be_declined(flow: Flow) -> None:
    assert "no_answer" in choice_ids(flow, "heard_of")


@pytest.mark.parametrize("key", ["life_area", "grounds", "wishes"])
def test_category_questions_allow_several_answers_and_a_not_sure(flow: Flow, key: str) -> None:
    node = node_by_key(flow, key)
    assert isinstance(node, MultiChoiceNode)
    assert node.max is None
    exclusive = {c.id for c in node.choices if c.exclusive}
    assert "not_sure" in exclusive


def test_choice_labels_are_distinct_so_they_can_be_typed(flow: Flow) -> None:
    for node in flow.nodes:
        if not isinstance(node, SingleChoiceNode | MultiChoiceNode):
            continue
        for lang in LANGUAGES:
            # A short label (what a Telegram button shows) can be typed too.
            labels = [
                typed
                for c in node.choices
                for typed in {in_language(t, lang).casefold() for t in (c.label, c.short) if t}
            ]
            assert len(labels) == len(set(labels)), f"{node.id} ({lang}) repeats a label"


# ---------------------------------------------------------------- data minimisation

IDENTIFYING = re.compile(
    r"name|telefon|phone|handy|mobil|e-?mail|adress|address|geburt|birth", re.IGNORECASE
)


def questions(text: str) -> list[str]:
    """The question sentences of a text."""
    return [q.strip() for q in re.findall(r"[^.!?:\n]*\?", text)]


def test_no_store_key_is_meant_for_identifying_data(flow: Flow) -> None:
    keys = [n.key for n in flow.nodes if hasattr(n, "key")]
    assert [k for k in keys if IDENTIFYING.search(k)] == []


def test_no_question_asks_for_a_name_phone_number_e_mail_or_address(flow: Flow) -> None:
    asked = [
        f"{node.id} ({lang}): {question}"
        for node in flow.nodes
        if hasattr(node, "text")
        for lang in LANGUAGES
        for question in questions(in_language(node.text, lang))
        if IDENTIFYING.search(question)
    ]
    assert asked == []


def test_the_only_free_text_is_the_account_and_it_asks_to_leave_out_names(flow: Flow) -> None:
    free = [n for n in flow.nodes if isinstance(n, FreeTextNode)]
    assert [n.key for n in free] == ["account"]
    account = free[0]
    assert account.optional
    assert account.max_length == 4000
    assert "Namen" in account.text["de"]
    assert "Namen" in account.text["ls"]
    assert "names" in account.text["en"]
    assert "jeder Sprache" in account.text["de"]
    assert "any language" in account.text["en"]


# ---------------------------------------------------------------- crisis words

CRISIS_SENTENCES = [
    # de, as people in danger wrote them in a walk-through (none named "er" or "sie")
    "Mein Mann schlägt mich gerade, ich habe Angst um mein Leben.",
    "Mein Vater schlägt mich jeden Tag.",
    "Mein Freund hat mich gestern geschlagen und ich habe Angst, dass er mich tötet.",
    "Hilfe, er ist mit einem Messer vor meiner Tür",
    # de
    "Ich will nicht mehr leben.",
    "Ich denke an Suizid.",
    "Ich habe Suizidgedanken seit dem Vorfall.",
    "Manchmal denke ich an Selbstmord",
    "Mein Nachbar hat gesagt, er wird mich umbringen.",
    "Sie haben gedroht, uns umzubringen!",
    "Er steht vor der Tür und bedroht mich",
    "Er schlägt mich jeden Abend.",
    "Ich bin in Gefahr, bitte helfen Sie",
    "Ich möchte sterben",
    "ICH WILL NICHT MEHR LEBEN!!!",
    "Ich sehe keinen Ausweg mehr.",
    # ls
    "Ich will sterben.",
    "Ein Mann bedroht mich. Er hat ein Messer.",
    "Ich bin in Gefahr.",
    # en
    "I want to kill myself.",
    "I have been thinking about suicide",
    "I feel suicidal since it happened",
    "My neighbour says he is going to kill me",
    "He is hitting me right now",
    "I'm in danger, please help",
    "I don't want to live anymore",
    "Sometimes I just want to end it all.",
    # tr, also typed without Turkish letters
    "Artık yaşamak istemiyorum.",
    "Intihar etmeyi düşünüyorum",
    "kendimi oldurecegim",
    "Kocam beni dövüyor, yardım edin",
    "Beni öldürecek!",
    "tehlikedeyim lutfen yardim",
    # ru, also in Latin letters
    "Я больше не хочу жить.",
    "Думаю о самоубийстве",
    "Сосед сказал, что убьёт меня",
    "Он бьёт меня каждый день",
    "Я в опасности!",
    "ya v opasnosti",
    "hochu umeret",
    # uk, also in Latin letters
    "Я не хочу жити.",
    "Він погрожує вбити мене",
    "Мене б'ють вдома",
    "Я в небезпеці",
    "ne hochu zhyty",
    # pl, also typed without Polish letters
    "Nie chcę żyć.",
    "Myślę o samobójstwie",
    "chce umrzec",
    "Mąż mnie bije, on mnie zabije",
    "Jestem w niebezpieczeństwie",
    # ar, also dialect and Arabizi
    "لا أريد أن أعيش بعد الآن",
    "أفكر في الانتحار",
    "زوجي يضربني كل يوم",
    "أنا في خطر، ساعدوني",
    "رح يقتلني",
    "badi mout",
    "ana fi khatar",
    "ri7 ye2tolni",
    # fa, also Finglish
    "دیگر نمی‌خواهم زندگی کنم",
    "به خودکشی فکر می‌کنم",
    "شوهرم کتکم می‌زند",
    "من در خطر هستم",
    "mikham bemiram",
]

ORDINARY_ACCOUNTS = [
    # de: near the crisis phrases, and no crisis now
    "Meine Vorgesetzte schlägt mich seit Jahren nicht für die Beförderung vor.",
    "Ich halte das nicht mehr aus, mein Chef mobbt mich jeden Tag wegen meiner Herkunft.",
    "Vor zwei Jahren hat mich ein Mann in der Bahn mit einem Messer bedroht.",
    "Die Polizisten standen mit einer Waffe in der Hand vor mir.",
    "Ich hatte damals Angst um mein Leben.",
    "Diese ständige Ausgrenzung tötet mich innerlich.",
    # de
    "Bei der Wohnungsbesichtigung hieß es, an Ausländer vermieten wir nicht.",
    "Mein Chef hat mich wegen meines Kopftuchs nicht befördert.",
    "Der Türsteher hat mich und meine Freunde wegen unserer Hautfarbe nicht reingelassen.",
    "Die Polizei hat nur mich im Zug kontrolliert, alle anderen nicht.",
    "Ich habe Angst, dass ich meine Arbeit verliere, wenn ich mich beschwere.",
    "Mein Vermieter hat mir mit der Kündigung gedroht, weil ich im Rollstuhl sitze.",
    "Im Jobcenter wurde ich angeschrien, weil ich nicht gut Deutsch spreche.",
    "Meine Tochter wird in der Schule gemobbt, weil sie trans ist.",
    "Vor zwei Wochen wurde ich in der Bahn beleidigt und angegriffen.",
    "Die Bank gibt mir keinen Kredit, weil ich über 60 bin.",
    "Ich habe mein Leben lang hier gearbeitet und werde trotzdem so behandelt.",
    "Es ist eine Gefahr für unsere Demokratie, wenn Behörden so handeln.",
    "Die Versicherung hat den Vertrag wegen meiner chronischen Krankheit abgelehnt.",
    "Der Arzt hat mich nicht behandelt, weil ich keine Krankenkassenkarte hatte.",
    # ls
    "Ich war beim Amt. Die Frau hat mich schlecht behandelt. Ich habe eine Behinderung.",
    "Ich suche eine Wohnung. Der Vermieter will mich nicht. Wegen meinem Namen.",
    # en
    "The landlord said he does not rent to refugees.",
    "My manager keeps making jokes about my accent in front of everyone.",
    "I was afraid to go to the police because of my residence status.",
    "The bouncer said people like me are a danger to the club.",
    "I was refused a job interview after they saw my name.",
    "My colleagues said the company would kill my career if I complained.",
    "Beats me why they turned down my application.",
    # tr
    "Ev sahibi yabancılara ev vermediğini söyledi.",
    "İş yerinde başörtüm yüzünden terfi alamadım.",
    "Polis trende sadece beni kontrol etti.",
    "Ismim yuzunden is gorusmesine cagrilmadim.",
    # ru
    "Арендодатель сказал, что не сдаёт квартиры иностранцам.",
    "В джобцентре на меня кричали, потому что я плохо говорю по-немецки.",
    "Охранник не пустил меня в клуб из-за цвета кожи.",
    # uk
    "Мене не взяли на роботу через мій акцент.",
    "У школі з моєї доньки сміються, бо вона біженка.",
    # pl
    "Szef śmieje się z mojego akcentu przy wszystkich.",
    "Nie dostałem mieszkania, bo jestem z Polski.",
    # ar
    "قال صاحب البيت إنه لا يؤجر للاجئين.",
    "لم يسمحوا لي بالدخول إلى النادي بسبب لون بشرتي.",
    "الشرطة فتشتني أنا فقط في القطار.",
    # fa
    "صاحبخانه گفت به پناهندگان خانه اجاره نمی‌دهد.",
    "در اداره به خاطر لهجه‌ام با من بد رفتار کردند.",
]


@pytest.mark.parametrize("sentence", CRISIS_SENTENCES)
def test_crisis_words_catch_clear_crises(flow: Flow, sentence: str) -> None:
    assert find_crisis(sentence, flow.crisis.words)


@pytest.mark.parametrize("account", ORDINARY_ACCOUNTS)
def test_crisis_words_do_not_fire_on_ordinary_accounts(flow: Flow, account: str) -> None:
    assert not find_crisis(account, flow.crisis.words)


def test_crisis_words_exist_in_every_language(flow: Flow) -> None:
    assert set(flow.crisis.words) == set(LANGUAGES)
    assert all(flow.crisis.words[lang] for lang in LANGUAGES)


def test_crisis_words_leave_out_bare_everyday_words(flow: Flow) -> None:
    everyday = {"angst", "polizei", "gewalt", "gefahr", "hilfe", "danger", "police", "help"}
    listed = {w.casefold() for words in flow.crisis.words.values() for w in words}
    assert listed & everyday == set()


def test_no_text_offered_for_typing_looks_like_a_crisis(flow: Flow) -> None:
    """A typed crisis word makes the bot ask again, so a typed label must never be one."""
    typed = [
        f"{where} ({lang})"
        for where, text in labels(flow)
        for lang in LANGUAGES
        if find_crisis(in_language(text, lang), flow.crisis.words)
    ]
    assert typed == []


@pytest.mark.parametrize("language", ["de", "en"])
def test_the_crisis_message_gives_every_number_on_its_own_line(flow: Flow, language: str) -> None:
    message = flow.crisis.message[language]
    lines = message.splitlines()
    for number in CRISIS_NUMBERS:
        assert number in message
    numbered = [line for line in lines if re.search(r"\d{3}", line)]
    assert len(numbered) >= 8


def test_leichte_sprache_gives_only_the_three_most_important_numbers(flow: Flow) -> None:
    message = flow.crisis.message["ls"]
    numbered = [line for line in message.splitlines() if re.search(r"\d{3}", line)]
    assert len(numbered) == 3
    for number in ("110", "112", "0800 111 0 111"):
        assert number in message


# ---------------------------------------------------------------- handover


def test_the_handover_routes_by_municipality_to_the_region_team(flow: Flow) -> None:
    handover = [n for n in flow.nodes if isinstance(n, HandoverNode)]
    assert len(handover) == 1
    team = handover[0].team
    assert (team.by, team.routes, team.default) == ("municipality", {}, "region")
    when = [n for n in flow.nodes if isinstance(n, WhenNode)]
    assert handover[0].incident_date_from == when[0].key


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_handover_text_gives_case_code_and_response_time(flow: Flow, language: str) -> None:
    handover = next(n for n in flow.nodes if isinstance(n, HandoverNode))
    assert placeholders(handover.text[language]) == {"case_code_note", "response_time"}


# ---------------------------------------------------------------- playing the intake


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_whole_intake_reaches_the_counsellors(flow: Flow, language: str) -> None:
    state, outputs = play(flow, intake_inputs(language))

    [handover] = handovers(outputs)
    assert handover.team == "region"
    assert handover.language == language
    assert handover.crisis is False
    assert handover.incident_date == NOW.date() - timedelta(days=6)
    assert handover.answers == {
        "language": language,
        "consent": True,
        "in_danger": False,
        "incident_when": {"bucket": "this_week", "date": None},
        "life_area": ["work"],
        "municipality": "garbsen",
        "grounds": ["racism", "language"],
        "account": "Bei der Wohnungsbesichtigung hieß es, an Ausländer vermieten wir nicht.",
        "reporter": "affected",
        "wishes": ["information", "counselling"],
        "contact": "anonymous_chat",
        "heard_of": "social_media",
    }
    assert state.finished == "handover"
    assert not [m for m in messages(outputs) if m.kind == "error"]
    last = messages(outputs)[-1]
    assert "{case_code_note}" in last.text
    assert "{response_time}" in last.text


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_typed_date_sets_the_incident_date(flow: Flow, language: str) -> None:
    inputs = intake_inputs(language, when=TextInput("03.03.2025"))
    _, outputs = play(flow, inputs)
    [handover] = handovers(outputs)
    assert handover.incident_date == date(2025, 3, 3)


def test_a_person_can_answer_by_typing_numbers(flow: Flow) -> None:
    typed: list[Input] = [
        Start(),
        *(
            TextInput(t)
            for t in ["2", "1", "2", "24.03.2025", "1, 2", "12", "1 12", "", "1", "8", "1", "10"]
        ),
    ]
    _, outputs = play(flow, typed)
    [handover] = handovers(outputs)
    assert handover.language == "ls"
    assert handover.answers["municipality"] == "neustadt_a_rbge"
    assert handover.answers["life_area"] == ["work", "housing"]
    assert handover.answers["account"] is None
    assert handover.answers["wishes"] == ["not_sure"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_person_can_answer_by_typing_the_labels(flow: Flow, language: str) -> None:
    """Screen reader and Telegram users may type an answer instead of tapping it."""

    def label(key: str, choice_id: str) -> TextInput:
        choice = next(c for c in node_by_key(flow, key).choices if c.id == choice_id)
        return TextInput(in_language(choice.label, language))

    when = next(n for n in flow.nodes if isinstance(n, WhenNode))
    consent = next(n for n in flow.nodes if isinstance(n, ConsentNode))
    danger = next(n for n in flow.nodes if isinstance(n, CrisisCheckNode))
    inputs: list[Input] = [
        Start(),
        label("language", language),
        TextInput(consent.accept[language]),
        TextInput(danger.no[language]),
        TextInput(when.options["not_sure"][language]),
        label("life_area", "not_sure"),
        label("municipality", "hannover"),
        label("grounds", "not_sure"),
        TextInput(flow.ui["skip"][language]),
        label("reporter", "no_answer"),
        label("wishes", "not_sure"),
        label("contact", "anonymous_chat"),
        label("heard_of", "no_answer"),
    ]
    _, outputs = play(flow, inputs)
    assert not [o for o in outputs if isinstance(o, CrisisDetected)]
    [handover] = handovers(outputs)
    assert handover.answers["municipality"] == "hannover"
    assert handover.answers["account"] is None
    assert handover.incident_date is None


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_short_labels_a_telegram_button_shows_can_be_typed(flow: Flow, language: str) -> None:
    def short(key: str, choice_id: str) -> TextInput:
        choice = next(c for c in node_by_key(flow, key).choices if c.id == choice_id)
        assert choice.short is not None
        return TextInput(in_language(choice.short, language))

    inputs = intake_inputs(language)
    inputs[5] = short("life_area", "goods_services")
    inputs[7] = short("grounds", "racism")
    inputs[11] = short("contact", "contact_later")
    _, outputs = play(flow, inputs)
    [handover] = handovers(outputs)
    assert handover.answers["life_area"] == ["goods_services"]
    assert handover.answers["grounds"] == ["racism"]
    assert handover.answers["contact"] == "contact_later"


EMAIL_WORD = {
    "de": "E-Mail",
    "ls": "E-Mail",
    "en": "e-mail",
    "tr": "e-posta",
    "ru": "электронной почте",
    "uk": "електронною поштою",
    "pl": "mailowo",
    "ar": "البريد الإلكتروني",
    "fa": "ایمیل",
}


def test_declining_consent_ends_with_other_ways_of_contact_and_crisis_numbers(
    flow: Flow,
) -> None:
    for language in LANGUAGES:
        state, outputs = play(flow, [Start(), ChoiceInput(language), ChoiceInput("decline")])
        assert state.finished == "end"
        assert any(isinstance(o, DialogEnded) for o in outputs)
        assert not handovers(outputs)
        farewell = messages(outputs)[-1].text
        assert "110" in farewell
        assert "112" in farewell
        assert re.search(EMAIL_WORD[language], farewell)
        # The office's phone, e-mail and web page: filled in by the service from its settings.
        assert placeholders(farewell) == {"office_contact"}
        assert farewell.splitlines().count("{office_contact}") == 1, "a line of its own"


# What a person types at the consent question instead of tapping, in the language chosen:
# the yes (or no) word that begins the answer, alone or with words of the answer itself.
TYPED_YES = {
    "de": ["ja", "Ja", "Ja!", "ja, ich bin einverstanden"],
    "ls": ["ja", "Ja."],
    "en": ["yes", "Yes.", "yes, I agree"],
    "tr": ["evet", "Evet, kabul ediyorum"],
    "ru": ["да", "Да, я согласна"],
    "uk": ["Так", "так, я згодна", "так, я згоден"],
    "pl": ["tak", "Tak, zgadzam się"],
    "ar": ["نعم", "نعم، أوافق"],
    "fa": ["بله", "بله، موافقم"],
}
TYPED_NO = {
    "de": "nein",
    "ls": "Nein",
    "en": "no",
    "tr": "hayır",
    "ru": "нет",
    "uk": "ні",
    "pl": "nie",
    "ar": "لا",
    "fa": "نه",
}
# Not a clear yes: these must never be taken as consent.
NOT_A_YES = {
    "de": ["ja, ich bin nicht einverstanden", "ja aber nein", "jein", "ja nein", "vielleicht"],
    "ls": ["ja, aber nicht jetzt"],
    "en": ["yes but no", "yes, I do not agree", "maybe"],
    "uk": ["так, але ні"],
    "ru": ["так"],  # "так" is a Ukrainian yes, not a Russian one
    "pl": ["tak nie"],
}


@pytest.mark.parametrize(
    ("language", "typed"), [(lang, t) for lang, words in TYPED_YES.items() for t in words]
)
def test_a_typed_yes_at_the_consent_question_is_consent(
    flow: Flow, language: str, typed: str
) -> None:
    state, outputs = play(flow, [Start(), ChoiceInput(language), TextInput(typed)])
    assert state.answers["consent"] is True
    assert state.node == "in_danger"
    assert not [m for m in messages(outputs) if m.kind == "error"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_typed_no_at_the_consent_question_declines(flow: Flow, language: str) -> None:
    state, _ = play(flow, [Start(), ChoiceInput(language), TextInput(TYPED_NO[language])])
    assert state.answers["consent"] is False
    assert state.finished == "end"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_typed_yes_is_the_same_at_the_danger_question(flow: Flow, language: str) -> None:
    """One rule for every yes/no question: the yes word of the consent answer says yes at the
    danger question too, where it is the whole answer."""
    yes = TextInput(TYPED_YES[language][0])
    inputs: list[Input] = [Start(), ChoiceInput(language), ChoiceInput("accept"), yes]
    state, _ = play(flow, inputs)
    assert state.answers["in_danger"] is True


@pytest.mark.parametrize(
    ("language", "typed"), [(lang, t) for lang, words in NOT_A_YES.items() for t in words]
)
def test_consent_is_never_read_into_an_unclear_answer(
    flow: Flow, language: str, typed: str
) -> None:
    state, outputs = play(flow, [Start(), ChoiceInput(language), TextInput(typed)])
    assert "consent" not in state.answers
    assert state.node == "consent"
    error, prompt = messages(outputs)[-2:]
    assert error.kind == "error"
    assert error.text == in_language(flow.ui["not_understood"], language)
    assert prompt.node_id == "consent"


@pytest.mark.parametrize("language", LANGUAGES)
def test_not_understood_at_consent_says_nothing_of_answers_that_go_only_alone(
    flow: Flow, language: str
) -> None:
    _, outputs = play(flow, [Start(), ChoiceInput(language), TextInput("?")])
    error = messages(outputs)[-2]
    said = in_language(flow.ui["not_understood"], language)
    assert error.text == said
    # The same text as invalid_choice, without what only a multi_choice needs.
    general = in_language(flow.ui["invalid_choice"], language)
    assert general.startswith(said.split()[0])
    assert len(said) < len(general)
    if language in ("de", "ls", "en"):
        assert not re.search("nicht sicher|weiß es nicht|nicht sagen|not sure|allein|own", said)


def test_a_wrong_answer_at_a_question_with_exclusive_answers_keeps_the_general_text(
    flow: Flow,
) -> None:
    inputs = intake_inputs("de")[:5]
    _, outputs = play(flow, [*inputs, TextInput("irgendwas")])
    assert messages(outputs)[-2].text == in_language(flow.ui["invalid_choice"], "de")


def with_go_on(inputs: list[Input], after: int) -> list[Input]:
    """The inputs with "go on with the questions" pressed after input number `after`."""
    return [*inputs[: after + 1], ChoiceInput(GO_ON), *inputs[after + 1 :]]


def test_being_in_danger_shows_the_crisis_numbers_and_waits_for_the_person(flow: Flow) -> None:
    _, outputs = play(flow, intake_inputs("de", in_danger="yes")[:4])
    *_, crisis, detected = outputs
    assert isinstance(crisis, BotMessage) and crisis.kind == "crisis"
    assert "116 123" in crisis.text
    assert [c.id for c in crisis.choices] == [TALK_NOW, GO_ON]
    assert detected == CrisisDetected("answer")
    # Nothing after the crisis box: "Wann ist es passiert?" waits until the person goes on.
    assert not any(m.node_id == "incident_when" for m in messages(outputs))


@pytest.mark.parametrize("language", LANGUAGES)
def test_talk_now_creates_the_case_at_once_with_the_answers_so_far(
    flow: Flow, language: str
) -> None:
    inputs = intake_inputs(language, in_danger="yes")[:4]
    state, outputs = play(flow, [*inputs, ChoiceInput(TALK_NOW)])
    [early] = [o for o in outputs if isinstance(o, CrisisHandoverRequested)]
    assert early.team == "region"
    assert early.answers == {"language": language, "consent": True, "in_danger": True}
    assert early.language == language
    after = messages(outputs)[-1]
    assert "{case_code_note}" in after.text and [c.id for c in after.choices] == [GO_ON]
    assert handovers(outputs) == []
    closed = step(flow, play(flow, inputs)[0], ChoiceInput(TALK_NOW), NOW, office_open=False)
    assert closed.messages[-1].text == flow.text(flow.crisis.talk_now.closed, language)  # type: ignore[union-attr]
    assert after.text == flow.text(flow.crisis.talk_now.open, language)  # type: ignore[union-attr]
    assert state.case_created


def test_going_on_after_talk_now_completes_the_same_case(flow: Flow) -> None:
    inputs = intake_inputs("de", in_danger="yes", when=TextInput("20.03.2025"))
    _, outputs = play(flow, [*inputs[:4], ChoiceInput(TALK_NOW), *with_go_on(inputs, 3)[4:]])
    assert len([o for o in outputs if isinstance(o, CrisisHandoverRequested)]) == 1
    [handover] = handovers(outputs)
    assert handover.completes is True
    assert handover.crisis is True
    assert handover.incident_date == date(2025, 3, 20)
    assert handover.answers["municipality"] == "garbsen"


def test_going_on_without_talk_now_hands_over_as_usual(flow: Flow) -> None:
    _, outputs = play(flow, with_go_on(intake_inputs("de", in_danger="yes"), 3))
    [handover] = handovers(outputs)
    assert handover.crisis is True and handover.completes is False


def test_crisis_words_in_the_account_show_the_numbers_and_keep_the_account(flow: Flow) -> None:
    account = "Seitdem will ich nicht mehr leben."
    inputs = intake_inputs("de", account=TextInput(account))
    _, outputs = play(flow, with_go_on(inputs, inputs.index(TextInput(account))))
    assert CrisisDetected("words") in outputs
    [handover] = handovers(outputs)
    assert handover.answers["account"] == account
    assert handover.crisis is True


def shown(outputs: list[Output]) -> list[str | None]:
    return [m.node_id for m in messages(outputs)]


@pytest.mark.parametrize(
    ("life_area", "note"),
    [
        (("work",), True),
        (("police", "housing"), True),
        (("goods_services",), True),
        (("police",), False),
        (("not_sure",), False),
    ],
)
def test_the_deadline_note_follows_the_life_area(
    flow: Flow, life_area: tuple[str, ...], note: bool
) -> None:
    _, outputs = play(flow, intake_inputs("en", life_area=life_area))
    assert ("deadline_note" in shown(outputs)) is note
    assert handovers(outputs)


@pytest.mark.parametrize(("municipality", "note"), [("outside_region", True), ("hannover", False)])
def test_people_from_outside_the_region_are_told_they_will_be_referred(
    flow: Flow, municipality: str, note: bool
) -> None:
    _, outputs = play(flow, intake_inputs("ls", municipality=municipality))
    assert ("outside_region_note" in shown(outputs)) is note
    assert handovers(outputs)[0].team == "region"


@pytest.mark.parametrize(("contact", "note"), [("contact_later", True), ("anonymous_chat", False)])
def test_leaving_a_contact_later_is_explained(flow: Flow, contact: str, note: bool) -> None:
    _, outputs = play(flow, intake_inputs("de", contact=contact))
    assert ("contact_later_note" in shown(outputs)) is note
    assert handovers(outputs)


def test_the_dialog_follows_the_suggested_order(flow: Flow) -> None:
    _, outputs = play(flow, intake_inputs("de", contact="contact_later"))
    prompts = [m.node_id for m in messages(outputs) if m.kind == "prompt"]
    assert prompts == [
        "language",
        "consent",
        "in_danger",
        "incident_when",
        "life_area",
        "municipality",
        "grounds",
        "account",
        "reporter",
        "wishes",
        "contact",
        "heard_of",
    ]
    assert shown(outputs)[1] == "about"
    assert shown(outputs)[-1] == "handover"


def test_crisis_words_at_a_choice_question_wait_and_going_on_asks_it_again(flow: Flow) -> None:
    inputs = intake_inputs("de")[:4]  # up to "Wann ist es passiert?"
    state, _ = play(flow, inputs)
    paused = step(flow, state, TextInput("ich will nicht mehr leben"), NOW)
    assert [m.kind for m in paused.messages] == ["crisis"]
    assert paused.state.crisis and paused.state.paused_for == "incident_when"
    again = step(flow, paused.state, ChoiceInput(GO_ON), NOW)
    assert [m.node_id for m in again.messages] == ["incident_when"]


def test_after_talk_now_typed_text_is_for_the_team_and_the_bot_stays_quiet(flow: Flow) -> None:
    state, _ = play(flow, [*intake_inputs("de", in_danger="yes")[:4], ChoiceInput(TALK_NOW)])
    quiet = step(flow, state, TextInput("Bitte kommen Sie schnell."), NOW)
    assert quiet.outputs == () and quiet.state == state
    again = step(flow, state, Start(), NOW)
    assert [c.id for c in again.messages[-1].choices] == [GO_ON]  # no second case offered


def test_back_from_the_crisis_box_asks_the_danger_question_again(flow: Flow) -> None:
    state, _ = play(flow, intake_inputs("de", in_danger="yes")[:4])
    back = step(flow, state, Back(), NOW)
    assert back.state.paused_for is None
    assert [m.node_id for m in back.messages] == ["in_danger"]
