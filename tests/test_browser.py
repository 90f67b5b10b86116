"""The pages in a real headless Chromium (Debian's ``chromium`` + ``chromium-driver``).

A real ``caonto serve`` runs on loopback over the project's built dataset; Selenium
drives ``/usr/bin/chromium`` through ``/usr/bin/chromedriver`` (never a downloaded one).
Where the browser, Selenium or the npm assets are missing these tests skip and say
why, except under CI (``CI=true``), where a missing piece is a failure.
Set ``CAONTO_SCREENSHOT_DIR`` to keep the screenshots.
"""

import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import REPOSITORY, caonto_serve, free_port, running_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
KAZAKHSTAN = "https://w3id.org/caonto/id/kazakhstan"
WAIT = 30  # seconds; generous: CI machines are shared


def _missing(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI must run the browser tests)")
    pytest.skip(reason)


def _assets_installed() -> bool:
    from caonto.web.assets import ASSETS

    return all((REPOSITORY / "node_modules" / path).is_file() for path in ASSETS.values())


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """Base URL of ``caonto serve`` on a free loopback port, over a fresh build."""
    from caonto.build import build_dataset

    built = build_dataset(out_dir=tmp_path_factory.mktemp("browser-build"))
    port = free_port()
    env = dict(os.environ, CAONTO_DATASET=str(built.nquads), CAONTO_WORKERS="2",
               CAONTO_BASE_URL=f"http://127.0.0.1:{port}/")
    log_path = tmp_path_factory.mktemp("browser-serve") / "serve.log"
    base = f"http://127.0.0.1:{port}/"
    with running_server(caonto_serve(port), base + "sparql?query=ASK%7B%7D", log_path, env):
        yield base


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if not CHROMIUM.exists() or not CHROMEDRIVER.exists():
        _missing(f"{CHROMIUM} or {CHROMEDRIVER} is absent "
                 "(install: apt-get install chromium chromium-driver)")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _missing("selenium is not installed (pip install -e '.[test]')")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--window-size=1300,1000",
                 "--lang=en"):
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(WAIT)
    yield driver
    driver.quit()


@pytest.fixture()
def ui_assets():
    if not _assets_installed():
        _missing("node_modules lacks YASGUI / vis-network: run `make install` (npm ci)")


def _wait(driver, condition, message: str):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT).until(condition, message)


def _screenshot(driver, tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    driver.save_screenshot(str(path))
    keep = os.environ.get("CAONTO_SCREENSHOT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(keep) / name)
    return path


def test_home_page_draws_the_network(server, browser, ui_assets, tmp_path):
    browser.get(server + "?lang=en")
    drawn = _wait(browser, lambda d: d.execute_script(
        "const n = window.caontoNetwork; return n && n.nodes > 0 && "
        "{nodes: n.nodes, edges: n.edges, relations: n.relations}"),
        "the network was not drawn")
    assert drawn["relations"] >= 1 and drawn["edges"] >= drawn["relations"]
    node = browser.execute_script(
        "return window.caontoNetwork.network.body.data.nodes.get(arguments[0])", KAZAKHSTAN)
    assert node and node["label"] == "Kazakhstan"
    positions = browser.execute_script(
        "return window.caontoNetwork.network.getPositions([arguments[0]])", KAZAKHSTAN)
    assert KAZAKHSTAN in positions  # laid out on the canvas
    assert browser.find_elements("css selector", "#network canvas")
    rows = browser.find_elements("css selector", "#relations tbody tr.relation")
    assert len(rows) == drawn["relations"]
    path = _screenshot(browser, tmp_path, "home.png")
    assert path.stat().st_size > 10_000


def test_example_query_runs_in_yasgui_and_shows_rows(server, browser, ui_assets):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    browser.get(server + "sparql")
    _wait(browser, lambda d: d.execute_script("return !!window.caontoYasgui"),
          "YASGUI did not start")
    picker = Select(browser.find_element(By.ID, "example-picker"))
    assert len(picker.options) >= 1
    titles = [o.text for o in picker.options]
    wanted = next((i for i, t in enumerate(titles) if "English, Kazakh and Russian" in t), 0)
    picker.select_by_index(wanted)
    browser.find_element(By.ID, "run-example").click()
    rows = _wait(browser, lambda d: d.find_elements(
        By.CSS_SELECTOR, ".tabPanel.active .yasr table tbody tr") or False,
        "no result rows appeared")
    assert len(rows) >= 1
    assert browser.find_elements(By.CSS_SELECTOR, ".tabPanel.active .yasr_downloadIcon")
    assert browser.find_elements(By.CSS_SELECTOR, ".yasgui .tabsList .tab")  # example tabs


@pytest.mark.parametrize("lang, name", [("kk", "Қазақстан"), ("en", "Kazakhstan")])
def test_resource_page_shows_names_in_the_chosen_language(server, browser, tmp_path, lang,
                                                         name):
    from selenium.webdriver.common.by import By

    browser.get(server + f"id/kazakhstan?lang={lang}")  # 303 to the page, language kept
    title = browser.find_element(By.ID, "title")
    assert (title.text, title.get_attribute("lang")) == (name, lang)
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == lang
    assert browser.find_elements(By.CSS_SELECTOR, "a.wikidata[href$='/Q232']")
    assert browser.find_elements(By.CSS_SELECTOR, "tr.fact.inferred")
    assert browser.find_elements(By.CSS_SELECTOR, "blockquote[lang=kk]")
    if lang == "kk":
        _screenshot(browser, tmp_path, "resource-kk.png")


@pytest.mark.parametrize("typed", ["қазақстан", "казакстан", "ҚАЗАҚСТАН"])
def test_search_from_the_home_page_in_kazakh(server, browser, typed):
    from selenium.webdriver.common.by import By

    browser.get(server + "?lang=kk")
    box = browser.find_element(By.ID, "home-search")
    box.send_keys(typed)
    box.submit()
    first = _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "li.result") or False,
                  f"no search results for {typed}")[0]
    assert first.get_attribute("data-iri") == KAZAKHSTAN
    assert "Қазақстан" in first.text


# The network query's answer replaced by one naming hostile IRIs, and a record of every
# Content-Security-Policy violation; injected before any page script runs.
_HOSTILE_ANSWER = {"head": {"vars": []}, "results": {"bindings": [
    {"row": {"value": "node"}, "node": {"value": "javascript:alert(1)//"},
     "nodeLabel": {"value": "Hostile state"}, "kind": {"value": "https://w3id.org/caonto/def/State"}},
    {"row": {"value": "node"}, "node": {"value": KAZAKHSTAN}, "nodeLabel": {"value": "Kazakhstan"},
     "kind": {"value": "https://w3id.org/caonto/def/State"}},
    {"row": {"value": "relation"}, "link": {"value": "data:text/html;base64,PHNjcmlwdD4="},
     "linkLabel": {"value": "Hostile relation"}, "a": {"value": "javascript:alert(1)//"},
     "b": {"value": KAZAKHSTAN}},
]}}
_WATCH = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => window.cspViolations.push(
  e.violatedDirective + " " + e.blockedURI));
const realFetch = window.fetch;
window.fetch = (url, options) => String(options && options.body).includes("relations+network")
  ? Promise.resolve(new Response(JSON.stringify(HOSTILE),
      { headers: { "Content-Type": "application/sparql-results+json" } }))
  : realFetch(url, options);
"""


def test_the_picture_links_no_hostile_iri_and_no_page_breaks_the_policy(server, browser,
                                                                         ui_assets):
    import json

    from selenium.webdriver.common.by import By

    injected = browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {
        "source": _WATCH.replace("HOSTILE", json.dumps(_HOSTILE_ANSWER))})
    try:
        browser.get(server + "?lang=en")
        rows = _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "tr.relation") or False,
                     "the relations table was not filled")
        assert "Hostile relation" in rows[0].text  # shown, as text
        hostile_links = browser.execute_script(
            "return [...document.querySelectorAll('a')].map(a => a.getAttribute('href') || '')"
            ".filter(h => /^\\s*(javascript|data):/i.test(h))")
        assert hostile_links == []
        assert browser.execute_script("return window.cspViolations") == []
        browser.get(server + "sparql")
        _wait(browser, lambda d: d.execute_script("return !!window.caontoYasgui"),
              "YASGUI did not start")
        browser.get(server + "page/id/kazakhstan")
        assert browser.execute_script("return window.cspViolations") == []
    finally:
        browser.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument",
                                {"identifier": injected["identifier"]})
# Text a reader of the page's language sees as the page's own: text nodes and the title,
# aria-label and placeholder attributes, outside elements marked with another language,
# code, scripts, and the YASGUI widget (a library with its own English interface).
_PAGE_TEXT = """
const language = document.documentElement.lang, found = [];
const skipped = (el) => el.closest("script, style, code, pre, #yasgui, noscript");
const own = (el) => (el.closest("[lang]") || document.documentElement).lang === language;
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
while (walker.nextNode()) {
  const el = walker.currentNode.parentElement, text = walker.currentNode.textContent.trim();
  if (text && !skipped(el) && own(el)) found.push(text);
}
for (const el of document.querySelectorAll("[title], [aria-label], [placeholder]")) {
  if (skipped(el) || !own(el)) continue;
  for (const name of ["title", "aria-label", "placeholder"]) {
    if (el.getAttribute(name)) found.push(el.getAttribute(name));
  }
}
found.push(document.title);
return found;
"""


def _english_ui_strings() -> set[str]:
    from caonto.web.i18n import UI_TEXT

    english = {w["en"].split("{")[0].strip() for w in UI_TEXT.values()
               if w["en"] not in (w["kk"], w["ru"])}
    return {s for s in english if len(s) >= 3}


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_main_pages_in_kk_and_ru_show_no_english_ui_string(server, browser, ui_assets, lang):
    import re

    from caonto.web.i18n import ui_text

    english = _english_ui_strings()
    for path in ("", "search?q=Qazaqstan", "sparql", "page/id/kazakhstan",
                 "page/id/kazakhstan-uzbekistan-relations", "id/no-such-resource"):
        browser.get(server + path + ("&" if "?" in path else "?") + f"lang={lang}")
        assert browser.execute_script("return document.documentElement.lang") == lang
        if path == "":  # the script's own words are in too, once it has run
            loaded = ui_text("network_loaded", lang).split("{")[0].strip() or \
                ui_text("network_loaded", lang).split("}")[-1].split(";")[0].strip()
            _wait(browser, lambda d: "loaded" in d.find_element("id", "network")
                  .get_attribute("class"), "the network did not load")
            assert loaded.split()[0] in browser.find_element("id", "network-status").text
        shown = browser.execute_script(_PAGE_TEXT)
        leftovers = sorted({s for s in english for text in shown
                            if re.search(rf"(?<![\w:-]){re.escape(s)}(?![\w-])", text)})
        assert leftovers == [], (path, leftovers)


def _stable_layout(browser, url: str) -> dict:
    browser.get(url)
    _wait(browser, lambda d: d.execute_script(
        "return document.getElementById('network').dataset.stable === 'yes'"),
        "the network did not come to rest")
    return browser.execute_script("""
        const net = window.caontoNetwork.network, nodes = net.body.data.nodes.get();
        net.redraw();  // label boxes are updated when drawn: read those of the final layout
        return {scale: net.getScale(),
                nodes: nodes.map((n) => ({id: n.id, kind: n.title, size: n.font ? n.font.size : null,
                                          box: net.getBoundingBox(n.id),
                                          at: net.getPositions([n.id])[n.id]}))};""")


def test_the_network_keeps_its_layout_and_its_labels_apart(server, browser, ui_assets, tmp_path):
    first = _stable_layout(browser, server + "?lang=en")
    second = _stable_layout(browser, server + "?lang=en")
    where = {n["id"]: (round(n["at"]["x"]), round(n["at"]["y"])) for n in first["nodes"]}
    assert where == {n["id"]: (round(n["at"]["x"]), round(n["at"]["y"])) for n in second["nodes"]}

    def overlap(a, b):
        return a["left"] < b["right"] and b["left"] < a["right"] and \
            a["top"] < b["bottom"] and b["top"] < a["bottom"]

    organisations = [n for n in first["nodes"] if "(State)" not in n["kind"]]
    assert organisations
    for org in organisations:
        for other in first["nodes"]:
            if other["id"] != org["id"]:
                assert not overlap(org["box"], other["box"]), (org["id"], other["id"])
    # legible at the default zoom: labels drawn at 11 px or more on the screen
    assert first["scale"] * 16 >= 11, first["scale"]
    _screenshot(browser, tmp_path, "network.png")
