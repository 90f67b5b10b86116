// The query UI: YASGUI against this endpoint, one tab per example query from queries/.
"use strict";
(function () {
  const element = document.getElementById("yasgui");
  const endpoint = element.dataset.endpoint;
  const examples = JSON.parse(document.getElementById("examples-data").textContent);
  const yasgui = new Yasgui(element, {
    requestConfig: { endpoint: endpoint, method: "POST" },
    copyEndpointOnNewTab: true,
    persistenceId: null,          // always start from the examples, not a stored session
    autoAddOnInit: examples.length === 0,
    populateFromUrl: false,
    endpointCatalogueOptions: { getData: () => [{ endpoint: endpoint }] },
    yasqe: { autocompleters: ["variables"] },  // the others call outside services
  });
  const tabs = examples.map((example, index) => yasgui.addTab(index === 0, {
    name: example.title,
    yasqe: { value: example.query },
    requestConfig: { endpoint: endpoint, method: "POST" },
  }));
  for (const button of document.querySelectorAll("button.example")) {
    button.addEventListener("click", () => {
      const tab = tabs[Number(button.dataset.index)];
      yasgui.selectTabId(tab.getId());
      tab.query();
    });
  }
  window.caontoYasgui = yasgui;
})();
