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


# Every word the pages show of their own, in the three languages of the names. (The
# data keeps its own languages: an English note or translation is marked lang="en".)
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
    "search_aria": {"kk": "Атауларды қазақ, ағылшын не орыс тілінде іздеу",
                    "en": "Search names in Kazakh, English or Russian",
                    "ru": "Поиск названий на казахском, английском или русском"},
    "languages_aria": {"kk": "Атаулар тілі", "en": "Language of names", "ru": "Язык названий"},
    "footer": {"kk": "caonto — бір қазақ эссесі бойынша құрылған Орталық Азиядағы халықаралық "
                     "қатынастардың байланысты деректер графы.",
               "en": "caonto — a linked-data graph of Central Asian international relations, "
                     "built from one Kazakh essay.",
               "ru": "caonto — граф связанных данных о международных отношениях в Центральной "
                     "Азии, построенный по одному казахскому эссе."},
    "data": {"kk": "Деректер:", "en": "Data:", "ru": "Данные:"},
    "sparql_endpoint": {"kk": "SPARQL нүктесі", "en": "SPARQL endpoint",
                        "ru": "SPARQL-точка доступа"},
    "network_aria": {"kk": "Мемлекеттер, ұйымдар мен органдар желісі",
                     "en": "Network of states, organisations and bodies",
                     "ru": "Сеть государств, организаций и органов"},
    "legend": {"kk": "Шартты белгілер", "en": "Legend", "ru": "Условные обозначения"},
    "network_loading": {"kk": "Желі SPARQL нүктесінен жүктелуде…",
                        "en": "Loading the network from the SPARQL endpoint…",
                        "ru": "Сеть загружается из SPARQL-точки доступа…"},
    "network_loaded": {"kk": "{nodes} мемлекет, ұйым және орган; {relations} екіжақты қатынас.",
                       "en": "{nodes} states, organisations and bodies; {relations} bilateral "
                             "relations.",
                       "ru": "Государств, организаций и органов: {nodes}; двусторонних "
                             "отношений: {relations}."},
    "network_failed": {"kk": "Желіні жүктеу мүмкін болмады:", "en": "The network could not be "
                       "loaded:", "ru": "Не удалось загрузить сеть:"},
    "member_of": {"kk": "мүшесі", "en": "member of", "ru": "член"},
    "assets_missing_network": {
        "kk": "Интерфейс файлдары орнатылмаған, сондықтан желі салынбайды (make install "
              "іске қосыңыз). Қатынастар төменде берілген.",
        "en": "The UI assets are not installed, so the network cannot be drawn (run make "
              "install, which runs npm ci). The relations are listed below.",
        "ru": "Файлы интерфейса не установлены, поэтому сеть не нарисовать (запустите make "
              "install). Отношения перечислены ниже."},
    "names": {"kk": "Атаулары", "en": "Names", "ru": "Названия"},
    "inferred_title": {"kk": "шығарылған (caog:inferred графы)",
                       "en": "inferred (graph caog:inferred)",
                       "ru": "выведено (граф caog:inferred)"},
    "inferred_hint": {"kk": "Деректерде айтылмаған: олардан онтология бойынша OWL 2 RL "
                            "қорытындысымен шығарылған (caog:inferred графы).",
                      "en": "Not stated in the data: derived from it by OWL 2 RL reasoning "
                            "with the ontology (named graph caog:inferred).",
                      "ru": "Не заявлено в данных: выведено из них рассуждением OWL 2 RL по "
                            "онтологии (граф caog:inferred)."},
    "inferred_more": {"kk": "Шығарылған деректерді көрсету", "en": "Show the inferred facts",
                      "ru": "Показать выведенные факты"},
    "notes_hint": {"kk": "Эссе белгілі деректерден алшақтайтын тұстар.",
                   "en": "Where the essay departs from the established record.",
                   "ru": "Где эссе расходится с установленными фактами."},
    "curator_note": {"kk": "Куратор ескертпесі:", "en": "Curator's note:",
                     "ru": "Примечание куратора:"},
    "line": {"kk": "жол", "en": "line", "ru": "строка"},
    "search_hint": {"kk": "Қазақ, ағылшын және орыс тіліндегі атаулар. Бас әріп маңызды "
                          "емес; қазақ әріптерін белгісіз теруге болады (казакстан Қазақстанды "
                          "табады), латынша да (Qazaqstan, Kazakstan).",
                    "en": "Names in Kazakh, English and Russian. Capitals do not matter, and "
                          "Kazakh letters may be typed without their marks (казакстан finds "
                          "Қазақстан) or in Latin letters (Qazaqstan, Kazakstan).",
                    "ru": "Названия на казахском, английском и русском. Регистр не важен; "
                          "казахские буквы можно набирать без знаков (казакстан найдёт "
                          "Қазақстан) или латиницей (Qazaqstan, Kazakstan)."},
    "results_for": {"kk": "Іздеу нәтижесі", "en": "Results for", "ru": "Результаты по запросу"},
    "sparql_query": {"kk": "SPARQL сұрауы", "en": "SPARQL query", "ru": "SPARQL-запрос"},
    "endpoint": {"kk": "Нүкте", "en": "Endpoint", "ru": "Точка доступа"},
    "sparql_hint": {"kk": "Әдепкі граф — онтология, эссе деректері мен шығарылған граф "
                          "бірігуі. Мысалды таңдап, өзгертіп, іске қосыңыз (Ctrl+Enter); "
                          "нәтиже жүктеп алуға болатын кесте болып шығады.",
                    "en": "The default graph is the union of the ontology, the essay data "
                          "and the inferred graph. Pick an example, edit it, run it "
                          "(Ctrl+Enter); results show as a table you can download.",
                    "ru": "Граф по умолчанию — объединение онтологии, данных эссе и "
                          "выведенного графа. Выберите пример, измените, запустите "
                          "(Ctrl+Enter); результат — таблица, которую можно скачать."},
    "example_queries": {"kk": "Мысал сұраулар (қойындылар түрінде де ашық):",
                        "en": "Example queries (also open as tabs):",
                        "ru": "Примеры запросов (открыты и во вкладках):"},
    "run": {"kk": "Іске қосу", "en": "Run it", "ru": "Выполнить"},
    "no_examples": {"kk": "Мысал сұраулар табылмады (queries/*.rq).",
                    "en": "No example queries found (queries/*.rq).",
                    "ru": "Примеры запросов не найдены (queries/*.rq)."},
    "assets_missing_yasgui": {
        "kk": "Интерфейс файлдары орнатылмаған, сондықтан YASGUI жоқ (make install іске "
              "қосыңыз). Мына қарапайым пішін жұмыс істейді.",
        "en": "The UI assets are not installed, so YASGUI is not available (run make "
              "install, which runs npm ci). This plain form still works.",
        "ru": "Файлы интерфейса не установлены, поэтому YASGUI недоступен (запустите make "
              "install). Эта простая форма работает."},
    "results_as": {"kk": "Нәтиже пішімі", "en": "Results as", "ru": "Формат результата"},
    "not_found": {"kk": "Табылмады", "en": "Not found", "ru": "Не найдено"},
    "not_found_text": {"kk": "caonto бұл мекенжай туралы ештеңе білмейді. Атауды іздеп "
                             "көріңіз немесе төмендегі беттерге өтіңіз.",
                       "en": "caonto says nothing about this address. Try searching for "
                             "the name, or go to one of these pages.",
                       "ru": "caonto ничего не знает об этом адресе. Попробуйте поискать "
                             "название или перейдите на одну из этих страниц."},
    "contributed_by": {"kk": "кім қосты", "en": "by", "ru": "кем"},
    "contributed_on": {"kk": "қашан", "en": "on", "ru": "когда"},
    "in_graph": {"kk": "граф", "en": "graph", "ru": "граф"},
    "cited_source": {"kk": "дереккөз", "en": "source", "ru": "источник"},
    "more_facts": {"kk": "тағы {n}", "en": "{n} more", "ru": "ещё {n}"},
}


def ui_text(key: str, language: str) -> str:
    """The page's word for ``key`` in ``language`` (English when missing); KeyError for an
    unknown key, so a typo in a template fails loudly in the tests."""
    words = UI_TEXT[key]
    return words.get(language) or words["en"]
