"""The languages of the pages and every word the pages show, in kk, en and ru.

Templates ask :func:`ui_text` (``t(...)`` in a template); :func:`page_language` picks the
reader's language: ``?lang=``, then the cookie, then Accept-Language, English at worst.
"""

from flask import request

LANGUAGES = ("kk", "en", "ru")  # the languages of the names, in the switch's order
DEFAULT_LANGUAGE = "en"
LANGUAGE_COOKIE = "caonto_lang"


def page_language() -> str:
    """``?lang=`` beats the cookie, which beats Accept-Language; English at worst."""
    for candidate in (request.args.get("lang"), request.cookies.get(LANGUAGE_COOKIE)):
        if candidate in LANGUAGES:
            return candidate
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT_LANGUAGE


# The pages' own words (headings, navigation) in the three languages of the names.
# Longer help texts stay in English and are marked lang="en" in the templates.
UI_TEXT: dict[str, dict[str, str]] = {
    "network": {"kk": "Желі", "en": "Network", "ru": "Сеть"},
    "ontology": {"kk": "Онтология", "en": "Ontology", "ru": "Онтология"},
    "essay": {"kk": "Эссе", "en": "Essay", "ru": "Эссе"},
    "search": {"kk": "Іздеу", "en": "Search", "ru": "Поиск"},
    "search_names": {"kk": "Атауларды іздеу", "en": "Search names", "ru": "Поиск по названиям"},
    "home_title": {"kk": "Қазақстан және Орталық Азиядағы көршілері",
                   "en": "Kazakhstan and its Central Asian neighbours",
                   "ru": "Казахстан и его центральноазиатские соседи"},
    "relations": {"kk": "Екіжақты қатынастар", "en": "Bilateral relations",
                  "ru": "Двусторонние отношения"},
    "relation": {"kk": "Қатынас", "en": "Relation", "ru": "Отношение"},
    "parties": {"kk": "Тараптар", "en": "Parties", "ru": "Стороны"},
    "assessment": {"kk": "Баға", "en": "Assessment", "ru": "Оценка"},
    "facts_stated": {"kk": "Айтылған деректер", "en": "Facts stated", "ru": "Заявленные факты"},
    "stated_elsewhere": {"kk": "Ол туралы басқа деректер", "en": "Stated about it elsewhere",
                         "ru": "Другие факты о нём"},
    "inferred_facts": {"kk": "Шығарылған деректер", "en": "Inferred facts",
                       "ru": "Выведенные факты"},
    "inferred": {"kk": "шығарылған", "en": "inferred", "ru": "выведено"},
    "contributed": {"kk": "қосылған дерек", "en": "contributed", "ru": "добавлено участником"},
    "property": {"kk": "Қасиет", "en": "Property", "ru": "Свойство"},
    "value": {"kk": "Мәні", "en": "Value", "ru": "Значение"},
    "subject": {"kk": "Субъект", "en": "Subject", "ru": "Субъект"},
    "source": {"kk": "Эсседегі дереккөз", "en": "Source in the essay", "ru": "Источник в эссе"},
    "stated_in": {"kk": "Дереккөзі", "en": "Stated in", "ru": "Источник"},
    "mentioned_in": {"kk": "Эсседе аталады", "en": "Mentioned in the essay",
                     "ru": "Упоминается в эссе"},
    "curator_notes": {"kk": "Куратор ескертпелері", "en": "Curator's notes",
                      "ru": "Примечания куратора"},
    "home_intro": {
        "kk": "Бір қазақ эссесінде аталған мемлекеттер, ұйымдар мен үкіметаралық органдар; "
              "екіжақты қатынастардың түсі автордың бағасын көрсетеді. Бетін ашу үшін түйінді "
              "немесе сызықты басыңыз.",
        "en": "States, organisations and intergovernmental bodies from one Kazakh essay, with "
              "the bilateral relations coloured by the author's assessment. Click a node or a "
              "line to open its page.",
        "ru": "Государства, организации и межправительственные органы из одного казахского "
              "эссе; цвет двусторонних отношений показывает оценку автора. Нажмите на узел "
              "или линию, чтобы открыть его страницу."},
    "not_assessed": {"kk": "бағаланбаған", "en": "not assessed", "ru": "без оценки"},
    "membership": {"kk": "мүшелік", "en": "membership", "ru": "членство"},
    "cooperates_within": {"kk": "аясында ынтымақтасады", "en": "cooperates within",
                          "ru": "сотрудничает в рамках"},
    "body_of_relation": {"kk": "қатынас органы", "en": "body of a relation",
                         "ru": "орган отношений"},
    "legend_shapes": {"kk": "● мемлекет ■ ұйым ◆ үкіметаралық орган",
                      "en": "● state ■ organisation ◆ intergovernmental body",
                      "ru": "● государство ■ организация ◆ межправительственный орган"},
    "network_query": {"kk": "Осы суреттің артындағы SPARQL сұрауы",
                      "en": "The SPARQL query behind this picture",
                      "ru": "SPARQL-запрос, по которому построена картина"},
    "open_query_ui": {"kk": "Сұрау интерфейсін ашу", "en": "Open the query UI",
                      "ru": "Открыть интерфейс запросов"},
}


def ui_text(key: str, language: str) -> str:
    """The page's word for ``key`` in ``language`` (English when missing); KeyError for an
    unknown key, so a typo in a template fails loudly in the tests."""
    words = UI_TEXT[key]
    return words.get(language) or words["en"]
