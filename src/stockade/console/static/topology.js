/* The topology page: read the graph the server built (in the page; /console/api/topology
 * serves the same), draw it
 * with Cytoscape.js and lay it out with fcose (compound-aware: VPC > subnet > instance).
 *
 * fcose lays out the skeleton (VPCs, subnets, gateways, routes); each subnet's instances
 * then fill a grid in the box fcose gave it (see split), which is what keeps 1,000
 * instances under a second. When the layout is done
 * and drawn, the page publishes window.topologyRenderedMs (ms since navigation start)
 * and window.topologyTimings (fetch, build, layout, fill, paint, total), which the tests
 * and bench read.
 *
 * Everything from the state is put in the page with textContent, never as HTML.
 */
(function () {
  "use strict";
  const root = document.getElementById("topology");
  if (!root || typeof cytoscape === "undefined") return;
  cytoscape.use(cytoscapeFcose);
  const details = document.getElementById("topology-details");
  const legend = document.getElementById("topology-groups");
  const status = document.getElementById("topology-status");

  const STYLE = [
    { selector: "node", style: { label: "data(label)", "font-size": 9, "text-wrap": "wrap",
        "min-zoomed-font-size": 5,
        "text-valign": "center", "text-halign": "center", color: "#16191f" } },
    { selector: "node.vpc", style: { shape: "round-rectangle", "background-color": "#f2f8fd",
        "border-color": "#0972d3", "border-width": 2, "text-valign": "top", "font-size": 13,
        "font-weight": "bold", padding: 18 } },
    { selector: "node.subnet", style: { shape: "round-rectangle", "text-valign": "top",
        "font-size": 11, padding: 10, "border-width": 1, width: "data(w)", height: "data(h)" } },
    { selector: "node.subnet.public", style: { "background-color": "#eaf6ea", "border-color": "#037f0c" } },
    { selector: "node.subnet.private", style: { "background-color": "#f4f4f4", "border-color": "#5f6b7a" } },
    { selector: "node.instance", style: { shape: "rectangle", width: 104, height: 46,
        "background-color": "#ffffff", "border-color": "#232f3e", "border-width": 1, "text-max-width": 100 } },
    // members' labels only when readable (see showLabels): measuring 1,000 labels too
    // small to draw costs more than the whole layout
    { selector: "node.instance, node.eni, node.nat", style: { label: "", "z-compound-depth": "top" } },
    { selector: "node.instance.labelled, node.eni.labelled, node.nat.labelled", style: { label: "data(label)" } },
    { selector: "node.instance.public", style: { "border-color": "#ec7211", "border-width": 2 } },
    { selector: "node.instance.stopped, node.instance.terminated", style: { opacity: 0.5 } },
    { selector: "node.eni", style: { shape: "round-rectangle", width: 96, height: 40,
        "background-color": "#fff", "border-style": "dashed", "border-width": 1 } },
    { selector: "node.igw, node.eigw", style: { shape: "hexagon", width: 120, height: 44,
        "background-color": "#ffe8cc", "border-color": "#ec7211", "border-width": 1, "text-max-width": 116 } },
    { selector: "node.nat", style: { shape: "diamond", width: 110, height: 56,
        "background-color": "#fff4d6", "border-color": "#ec7211", "text-max-width": 100 } },
    { selector: "node.peer-vpc", style: { shape: "round-rectangle", width: 140, height: 50,
        "background-color": "#fff", "border-style": "dashed", "border-color": "#0972d3", "border-width": 2 } },
    { selector: "edge", style: { width: 1.5, "line-color": "#8d99a8", "curve-style": "bezier",
        label: "data(label)", "font-size": 8, "text-rotation": "autorotate",
        "text-background-color": "#fff", "text-background-opacity": 0.8 } },
    { selector: "edge.route", style: { "target-arrow-shape": "triangle", "target-arrow-color": "#8d99a8" } },
    { selector: "edge.blackhole", style: { "line-color": "#d91515", "line-style": "dashed" } },
    { selector: "edge.peering", style: { width: 3, "line-color": "#0972d3" } },
    { selector: "edge.attached", style: { "line-style": "dotted" } },
    { selector: ".highlight", style: { "background-color": "#ffe4a3", "border-color": "#ec7211", "border-width": 3 } },
    { selector: ".faded", style: { opacity: 0.25 } },
  ];

  function text(tag, value, className) {
    const el = document.createElement(tag);
    el.textContent = value == null ? "" : String(value);
    if (className) el.className = className;
    return el;
  }

  function showDetails(node) {
    if (!details) return;
    details.replaceChildren();
    const data = node.data();
    details.append(text("h3", data.kind === "instance" ? (data.name || data.id) : data.id));
    const list = document.createElement("dl");
    const add = (term, value) => { list.append(text("dt", term), text("dd", value)); };
    add("id", data.id);
    if (data.state) add("state", data.state);
    if (data.cidr) add("CIDR", data.cidr);
    if (data.route_table) add("route table", data.route_table);
    if (data.network_acl) add("network ACL", data.network_acl);
    for (const eni of data.interfaces || (data.interface ? [data.interface] : [])) {
      add(`interface ${eni.device_index ?? ""}`.trim(), eni.id);
      add("private", eni.private_ips.join(", "));
      if (eni.public_ip) add("public", eni.public_ip);
      if (eni.ipv6.length) add("IPv6", eni.ipv6.join(", "));
      add("groups", eni.groups.map((g) => g.name || g.id).join(", "));
    }
    details.append(list);
  }

  function highlight(cy, ids) {
    cy.batch(() => {
      cy.elements().removeClass("highlight faded");
      if (!ids) return;
      const wanted = new Set(ids);
      cy.nodes(".instance").forEach((n) => n.addClass(wanted.has(n.id()) ? "highlight" : "faded"));
    });
  }

  function drawLegend(cy, groups, vpcNames) {
    if (!legend) return;
    legend.replaceChildren();
    let vpc = null;
    for (const group of groups) {
      if (group.vpc !== vpc) {
        vpc = group.vpc;
        legend.append(text("li", vpcNames.get(vpc) || vpc, "legend-vpc"));
      }
      const item = document.createElement("li");
      const link = text("a", `${group.name} (${group.members.length})`);
      link.href = group.url;
      link.title = group.id;
      link.dataset.group = group.id;
      link.addEventListener("mouseenter", () => highlight(cy, group.members));
      link.addEventListener("mouseleave", () => highlight(cy, null));
      link.addEventListener("focus", () => highlight(cy, group.members));
      link.addEventListener("blur", () => highlight(cy, null));
      item.append(link);
      legend.append(item);
    }
  }

  // The size of one cell of a subnet's grid of members (instances, interfaces, NAT gateways).
  const CELL_W = 116, CELL_H = 56, SUBNET_PAD = 8;
  const MEMBER_KINDS = new Set(["instance", "eni", "nat"]);

  /* Two passes, so the force-directed layout never sees the (edge-less) instances: fcose
   * places the skeleton -- VPC boxes holding subnets, each a box already the size of its
   * members' grid, and the gateways and routes between them -- then each subnet's members
   * are added in a grid filling its box (sorted by name). One fcose run over 40 nodes
   * instead of 1,000: a tenth of the time, and a picture that reads row by row.
   * A subnet stays a plain box with its members drawn on top (data.subnet), not a compound
   * parent: Cytoscape's compound bookkeeping for 1,000 children cost more than everything
   * else together. */
  function split(graph) {
    const members = new Map();
    const skeleton = [];
    const later = [];
    const placed = new Set();
    for (const node of graph.elements.nodes) {
      if (MEMBER_KINDS.has(node.data.kind)) {
        const subnet = node.data.parent;
        node.data.subnet = subnet;
        delete node.data.parent;
        if (!members.has(subnet)) members.set(subnet, []);
        members.get(subnet).push(node);
      } else {
        skeleton.push(node);
        placed.add(node.data.id);
      }
    }
    for (const node of skeleton) {
      if (node.data.kind !== "subnet") continue;
      const count = (members.get(node.data.id) || []).length;
      const cols = Math.max(1, Math.ceil(Math.sqrt(count * 1.6)));
      node.data.cols = cols;
      node.data.w = Math.max(cols * CELL_W, 150) + 2 * SUBNET_PAD;
      node.data.h = (count ? Math.ceil(count / cols) * CELL_H : 20) + 2 * SUBNET_PAD;  // an empty one stays small
    }
    for (const edge of graph.elements.edges) {
      const between = placed.has(edge.data.source) && placed.has(edge.data.target);
      (between && !edge.classes.includes("peering") ? skeleton : later).push(edge);
    }
    return { skeleton, members, later };
  }

  function order(a, b) {
    const rank = (n) => (n.data.kind === "nat" ? 0 : n.data.kind === "instance" ? 1 : 2);
    return rank(a) - rank(b) || (a.data.name || a.data.id).localeCompare(b.data.name || b.data.id);
  }

  function fillSubnets(cy, members, later) {
    const added = [];
    cy.nodes(".subnet").forEach((subnet) => {
      const centre = subnet.position();
      const { w, h, cols } = subnet.data();
      const mine = (members.get(subnet.id()) || []).sort(order);
      mine.forEach((node, index) => {
        node.position = {
          x: centre.x - w / 2 + SUBNET_PAD + CELL_W / 2 + (index % cols) * CELL_W,
          y: centre.y - h / 2 + SUBNET_PAD + CELL_H / 2 + Math.floor(index / cols) * CELL_H,
        };
        added.push(node);
      });
    });
    cy.batch(() => {
      cy.add(added);
      cy.add(later);
    });
  }

  // a member's label is 9px: drawn once the zoom makes it at least 5px high
  const LABEL_ZOOM = 5 / 9;

  function showLabels(cy) {
    const members = cy.nodes(".instance, .eni, .nat");
    const wanted = cy.zoom() >= LABEL_ZOOM;
    if (members.nonempty() && members.first().hasClass("labelled") !== wanted) {
      cy.batch(() => members.toggleClass("labelled", wanted));
    }
  }

  function fitTo(cy, box, padding) {
    const zoom = Math.min(
      (cy.width() - 2 * padding) / Math.max(box.w, 1),
      (cy.height() - 2 * padding) / Math.max(box.h, 1),
      1.5,
    );
    cy.viewport({
      zoom,
      pan: { x: (cy.width() - zoom * (box.x1 + box.x2)) / 2, y: (cy.height() - zoom * (box.y1 + box.y2)) / 2 },
    });
  }

  function draw(graph, fetched) {
    window.topologyGraph = graph;
    const { skeleton, members, later } = split(graph);
    const cy = cytoscape({
      container: root,
      elements: skeleton,
      style: STYLE,
      boxSelectionEnabled: false,
      autounselectify: true,
      autoungrabify: true,  // the layout is the picture: a dragged subnet would leave its members
      minZoom: 0.05,
      maxZoom: 3,
      textureOnViewport: graph.counts.instances > 300,
      hideEdgesOnViewport: graph.counts.instances > 300,
    });
    window.topologyCy = cy;
    const built = performance.now();
    cy.on("tap", "node[url]", (event) => window.location.assign(event.target.data("url")));
    cy.on("mouseover", "node", (event) => showDetails(event.target));
    const vpcNames = new Map(graph.elements.nodes.filter((n) => n.data.kind === "vpc")
      .map((n) => [n.data.id, n.data.label]));
    drawLegend(cy, graph.groups, vpcNames);
    const layout = cy.layout({
      name: "fcose",
      animate: false,
      randomize: true,
      quality: "default",
      packComponents: true,
      nodeDimensionsIncludeLabels: true,
      idealEdgeLength: 70,
      nodeRepulsion: 8000,
      nestingFactor: 0.2,
    });
    layout.one("layoutstop", () => {
      const laidOut = performance.now();
      // the skeleton's box already holds every subnet's grid: fit to it before the fill
      // (cy.fit after it would measure a thousand labels that are too small to draw)
      const box = cy.elements().boundingBox();
      fillSubnets(cy, members, later);
      fitTo(cy, box, 30);
      showLabels(cy);
      cy.on("zoom", () => showLabels(cy));
      const filled = performance.now();
      cy.one("render", () => {  // the first frame holding every node has been drawn
        const done = performance.now();
        window.topologyTimings = {
          fetch: Math.round(fetched), build: Math.round(built - fetched),
          layout: Math.round(laidOut - built), fill: Math.round(filled - laidOut),
          paint: Math.round(done - filled), total: Math.round(done),
        };
        window.topologyRenderedMs = done;
        root.dataset.rendered = "true";
        if (status) {
          status.textContent = `${graph.counts.instances} instances in ${graph.counts.subnets} subnets ` +
            `of ${graph.counts.vpcs} VPCs, drawn in ${Math.round(done)} ms`;
        }
      });
    });
    layout.run();
  }

  // the page carries the graph (one store read, no second round trip); the endpoint
  // serves the same graph for anything else, and for a page without it
  const embedded = document.getElementById("topology-data");
  (embedded
    ? Promise.resolve(JSON.parse(embedded.textContent))
    : fetch(root.dataset.source, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then((answer) => {
        if (!answer.ok) throw new Error(`the topology could not be read (HTTP ${answer.status})`);
        return answer.json();
      }))
    .then((graph) => draw(graph, performance.now()))
    .catch((error) => {
      window.topologyError = String(error);
      if (status) status.textContent = String(error);
    });
})();
