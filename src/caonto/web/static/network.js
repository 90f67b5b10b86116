// The home page's picture: ask /sparql for the nodes and links, draw them with vis-network,
// and list the relations as a table (which also serves readers without the drawing).
"use strict";
(function () {
  const container = document.getElementById("network");
  const status = document.getElementById("network-status");
  const tableBody = document.querySelector("#relations tbody");
  const query = JSON.parse(document.getElementById("network-query").textContent);
  // the page's words, in its language (caonto.web.i18n)
  const words = JSON.parse(container.dataset.words || "{}");
  const toneNames = new Map(JSON.parse(document.getElementById("tone-names").textContent)
    .map(([iri, name]) => [iri, name[0]]));
  const TONE_COLOURS = {
    positive: "#2e8b57", negative: "#c0392b", mixed: "#e67e22",
    cautious: "#d4ac0d", neutral: "#5d6d7e", none: "#aab7b8",
  };
  const SHAPES = {
    State: { shape: "dot", color: "#2471a3" },
    InternationalOrganization: { shape: "square", color: "#7d3c98" },
    IntergovernmentalBody: { shape: "diamond", color: "#17a589" },
  };
  const LINK_STYLES = {
    member: { dashes: [6, 4], color: "#bbbbbb", title: words.member_of },
    within: { dashes: [6, 4], color: "#a569bd", title: words.cooperates_within },
    body: { dashes: [2, 4], color: "#17a589", title: words.body_of_relation },
  };
  const LEGIBLE_SCALE = 0.75;
  const localName = (iri) => iri.replace(/[#/]$/, "").split(/[#/]/).pop();

  function pageHref(iri) {
    // caonto IRIs are served here: the path after the persistent base, on this site;
    // other http(s) IRIs link to themselves; anything else (javascript:, data:) is no link
    const base = "https://w3id.org/caonto/";
    if (iri.startsWith(base)) return container.dataset.site + iri.slice(base.length);
    return /^https?:\/\//i.test(iri) ? iri : null;
  }

  function toneOf(iris) {
    // one colour per relation: its tone, or "mixed" when its assessments disagree
    const tones = [...new Set(iris.map((iri) => localName(iri).replace(/^tone-/, "")))];
    if (tones.length === 0) return "none";
    return tones.length === 1 ? tones[0] : "mixed";
  }

  function collect(bindings) {
    const nodes = new Map(), relations = new Map(), links = [];
    for (const b of bindings) {
      const row = b.row.value;
      if (row === "node") {
        nodes.set(b.node.value, { iri: b.node.value, label: b.nodeLabel.value, kind: localName(b.kind.value) });
      } else if (row === "relation") {
        const r = relations.get(b.link.value) || { iri: b.link.value, label: b.linkLabel.value, a: b.a.value, b: b.b.value, tones: [] };
        if (b.tone && !r.tones.includes(b.tone.value)) r.tones.push(b.tone.value);
        relations.set(b.link.value, r);
      } else {
        links.push({ kind: row, a: b.a.value, b: b.b.value, via: b.link ? b.link.value : null });
      }
    }
    return { nodes, relations, links };
  }

  function fillTable(data) {
    for (const r of [...data.relations.values()].sort((x, y) => x.label.localeCompare(y.label))) {
      const tr = document.createElement("tr");
      tr.className = "relation";
      const cells = [
        [r.label, r.iri],
        [[r.a, r.b].map((iri) => (data.nodes.get(iri) || { label: localName(iri) }).label).join(" — "), null],
        [r.tones.map((t) => toneNames.get(t) || localName(t)).join(", ") || "—", null],
      ];
      for (const [text, link] of cells) {
        const td = document.createElement("td");
        if (link && pageHref(link)) {
          const a = document.createElement("a");
          a.href = pageHref(link);
          a.textContent = text;
          td.appendChild(a);
        } else td.textContent = text;
        tr.appendChild(td);
      }
      tr.querySelector("td:last-child").classList.add("tone-text-" + toneOf(r.tones));
      tableBody.appendChild(tr);
    }
  }

  function draw(data) {
    const nodes = [...data.nodes.values()].map((n) => Object.assign(
      { id: n.iri, label: n.label, title: n.label + " (" + n.kind + ")", size: n.kind === "State" ? 18 : 12 },
      SHAPES[n.kind] || {}));
    const edges = [];
    for (const r of data.relations.values()) {
      const tone = toneOf(r.tones);
      edges.push({ id: r.iri, from: r.a, to: r.b, width: 4, color: { color: TONE_COLOURS[tone] || TONE_COLOURS.none },
        dashes: tone === "none", title: r.label + ": " + (r.tones.map((t) => toneNames.get(t) || localName(t)).join(", ") || words.not_assessed) });
    }
    for (const l of data.links) {
      if (!data.nodes.has(l.a) || !data.nodes.has(l.b)) continue;
      const style = LINK_STYLES[l.kind] || LINK_STYLES.member;
      edges.push({ from: l.a, to: l.b, width: 1, dashes: style.dashes, color: { color: style.color },
        title: style.title });
    }
    // The same picture on every load: nodes in a fixed order, a fixed seed for the
    // initial placement, the physics run to a standstill before anything is shown and
    // then switched off. Labels sit in boxes the layout keeps apart (avoidOverlap 1).
    nodes.sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
    const network = new vis.Network(container, { nodes: new vis.DataSet(nodes), edges: new vis.DataSet(edges) }, {
      layout: { randomSeed: 20240521, improvedLayout: true },
      physics: { stabilization: { enabled: true, iterations: 1500, updateInterval: 1500, fit: true },
        barnesHut: { gravitationalConstant: -30000, springLength: 400, springConstant: 0.03,
          avoidOverlap: 1 } },
      interaction: { hover: true, tooltipDelay: 150 },
      // long names (the intergovernmental bodies) wrap instead of running over their neighbours
      nodes: { font: { size: 16, face: "system-ui, sans-serif", background: "rgba(255,255,255,0.85)" },
        borderWidth: 1, widthConstraint: { maximum: 170 } },
      edges: { smooth: false },
    });
    network.once("stabilizationIterationsDone", () => {
      network.setOptions({ physics: false });
      network.fit();
      // never smaller than legible: below this zoom 16 px labels would shrink under 12 px
      if (network.getScale() < LEGIBLE_SCALE) {
        const at = Object.values(network.getPositions());
        const centre = { x: at.reduce((sum, p) => sum + p.x, 0) / at.length,
                         y: at.reduce((sum, p) => sum + p.y, 0) / at.length };
        network.moveTo({ position: centre, scale: LEGIBLE_SCALE });
      }
      container.dataset.stable = "yes";
    });
    network.on("doubleClick", open);
    network.on("click", open);
    function open(event) {
      const target = event.nodes[0] || (event.edges[0] && data.relations.has(event.edges[0]) ? event.edges[0] : null);
      if (target && pageHref(target)) window.location.href = pageHref(target);
    }
    window.caontoNetwork = { network: network, nodes: nodes.length, edges: edges.length, relations: data.relations.size };
    container.dataset.nodes = String(nodes.length);
    container.dataset.edges = String(edges.length);
  }

  const body = new URLSearchParams({ query: query });
  fetch(container.dataset.endpoint, {
    method: "POST", body: body,
    headers: { Accept: "application/sparql-results+json" },
  }).then((response) => {
    if (!response.ok) return response.text().then((text) => { throw new Error(response.status + " " + text); });
    return response.json();
  }).then((json) => {
    const data = collect(json.results.bindings);
    fillTable(data);
    if (container.dataset.vis === "yes" && window.vis) {
      draw(data);
    }
    status.textContent = (words.network_loaded || "{nodes} / {relations}")
      .replace("{nodes}", data.nodes.size).replace("{relations}", data.relations.size);
    container.classList.add("loaded");
  }).catch((error) => {
    status.textContent = (words.network_failed || "") + " " + error.message;
    status.classList.add("error");
  });
})();
