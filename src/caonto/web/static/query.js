// The query UI: YASGUI against this endpoint, one tab per example query from queries/.
"use strict";
(function () {
  const element = document.getElementById("yasgui");
  const endpoint = element.dataset.endpoint;
  const examples = JSON.parse(document.getElementById("examples-data").textContent);
  // No autocompleter that calls outside services (prefix.cc, LOV): the page works offline.
  Yasgui.Yasqe.defaults.autocompleters = ["variables"];
  const yasgui = new Yasgui(element, {
    requestConfig: { endpoint: endpoint, method: "POST" },
    copyEndpointOnNewTab: true,
    persistenceId: null,          // always start from the examples, not a stored session
    autoAddOnInit: examples.length === 0,
    populateFromUrl: false,
    endpointCatalogueOptions: { getData: () => [{ endpoint: endpoint }] },
  });
  function tabName(example) {
    // short tab labels from file names ("01-kazakhstan-borders.rq" -> "kazakhstan borders");
    // the full titles are in the picker
    return example.name.replace(/\.rq$/, "").replace(/^\d+-/, "").replace(/-/g, " ");
  }
  const tabs = examples.map((example, index) => yasgui.addTab(index === 0, {
    name: tabName(example),
    yasqe: { value: example.query },
    requestConfig: { endpoint: endpoint, method: "POST" },
  }));
  const picker = document.getElementById("example-picker");
  const description = document.getElementById("example-description");
  function pick(run) {
    const index = Number(picker.value);
    description.textContent = examples[index].description;
    yasgui.selectTabId(tabs[index].getId());
    if (run) tabs[index].query();
  }
  if (picker) {
    picker.addEventListener("change", () => pick(false));
    document.getElementById("run-example").addEventListener("click", () => pick(true));
    yasgui.on("tabSelect", (instance, tabId) => {
      const index = tabs.findIndex((tab) => tab.getId() === tabId);
      if (index >= 0) { picker.value = String(index); description.textContent = examples[index].description; }
    });
  }
  window.caontoYasgui = yasgui;
})();
