// palisade netpol graph: draws the connectivity graph embedded in this page as SVG, laid out
// by palisadeLayout, with details, selection, drag, zoom, pan and a namespace filter.
// Written for this page alone (no library). Every text from the data goes through
// textContent or setAttribute, never through HTML parsing.
(function () {
  'use strict';

  const SVG = 'http://www.w3.org/2000/svg';
  const data = JSON.parse(document.getElementById('graph-data').textContent);
  const nodes = data.nodes;
  const edges = data.edges;
  const svg = document.getElementById('graph');
  const viewport = document.getElementById('viewport');
  const layers = {
    regions: document.getElementById('regions'),
    edges: document.getElementById('edges'),
    labels: document.getElementById('edge-labels'),
    titles: document.getElementById('region-titles'),
    nodes: document.getElementById('nodes'),
  };
  const OUTSIDE = 'outside the cluster';
  const NODE_R = 16;
  const EXT_HALF = 20;

  // ---- small helpers -------------------------------------------------------------------

  function el(name, attrs, parent) {
    const e = document.createElementNS(SVG, name);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }

  function html(name, text, parent, cls) {
    const e = document.createElement(name);
    if (text !== undefined && text !== null) e.textContent = text;
    if (cls) e.className = cls;
    if (parent) parent.appendChild(e);
    return e;
  }

  function truncate(text, max) {
    return text.length > max ? text.slice(0, max - 1) + '\u2026' : text;
  }

  const KIND_SHORT = {
    Deployment: 'deploy', StatefulSet: 'sts', DaemonSet: 'ds', ReplicaSet: 'rs', Job: 'job',
    CronJob: 'cron', Pod: 'pod', ReplicationController: 'rc',
  };

  // ---- groups: namespaces, then the outside ---------------------------------------------

  const groups = data.namespaces.map(function (ns, i) {
    const hue = (i * 137.508 + 200) % 360;
    return {
      name: ns.name, labels: ns.labels, outside: false, members: [],
      color: 'hsl(' + hue.toFixed(1) + ', 62%, 46%)', fill: 'hsl(' + hue.toFixed(1) + ', 70%, 80%)',
    };
  });
  const groupIndex = new Map(groups.map(function (g, i) { return [g.name, i]; }));
  const outsideGroup = { name: OUTSIDE, labels: {}, outside: true, members: [], color: '#6b7385', fill: '#eef0f3' };
  groups.push(outsideGroup);
  const outsideIndex = groups.length - 1;
  for (const n of nodes) {
    let g = n.external ? outsideIndex : groupIndex.get(n.namespace);
    if (g === undefined) { // a namespace the data left out: give it a group anyway
      g = groups.length;
      groups.push({ name: n.namespace, labels: {}, outside: false, members: [], color: '#888', fill: '#ddd' });
      groupIndex.set(n.namespace, g);
    }
    n.group = g;
    n.x = 0; n.y = 0;
  }
  for (const n of nodes) groups[n.group].members.push(n);
  // From here on, groups are the non-empty ones and node.group indexes them.
  const liveGroups = groups.filter(function (g) { return g.members.length > 0; });
  liveGroups.forEach(function (g, i) {
    g.title = g.outside ? OUTSIDE : 'namespace ' + g.name;
    for (const m of g.members) m.group = i;
  });
  const layout = function () { palisadeLayout.layout(nodes, liveGroups, edges); };
  const groupBox = palisadeLayout.groupBox;

  // Two-way pairs are drawn curved, so both arrows show.
  const directed = new Set(edges.map(function (e) { return e.src + '>' + e.dst; }));
  const adjacent = nodes.map(function () { return []; });
  edges.forEach(function (e, i) { adjacent[e.src].push(i); adjacent[e.dst].push(i); });

  // ---- drawing ---------------------------------------------------------------------------

  function markers() {
    const defs = document.getElementById('defs');
    for (const [name, color] of [['plain', '#9aa3b5'], ['outside', '#e67e22'], ['sensitive', '#d62728']]) {
      const m = el('marker', {
        id: 'arrow-' + name, viewBox: '0 0 10 10', refX: '9', refY: '5',
        markerWidth: '7', markerHeight: '7', orient: 'auto-start-reverse', markerUnits: 'userSpaceOnUse',
      }, defs);
      el('path', { d: 'M0,0 L10,5 L0,10 z', fill: color }, m);
    }
  }

  function edgeClass(e) {
    return e.sensitive.length ? 'sensitive' : e.fromOutside ? 'outside' : 'plain';
  }

  function drawRegions() {
    for (const g of liveGroups) {
      const r = el('g', { class: 'region' + (g.outside ? ' outside' : ''), 'data-namespace': g.outside ? '' : g.name }, layers.regions);
      g.rect = el('rect', { rx: '18', ry: '18', fill: g.fill, stroke: g.color }, r);
      // Titles sit above the edges, so a busy region still shows its name.
      g.label = el('text', { class: 'region-title', fill: g.color }, layers.titles);
      g.label.textContent = g.title;
      g.el = r;
      r.addEventListener('pointerdown', function (ev) { startDrag(ev, g.members); });
    }
  }

  function drawEdges() {
    edges.forEach(function (e, i) {
      const cls = edgeClass(e);
      const g = el('g', {
        class: 'edge' + (cls === 'plain' ? '' : ' ' + cls) + (e.quarantine ? ' quarantine' : ''),
        'data-edge': String(i), 'data-src': String(e.src), 'data-dst': String(e.dst),
        'data-connections': e.connections,
      }, layers.edges);
      if (e.sensitive.length) g.setAttribute('data-sensitive', e.sensitive.join(', '));
      if (e.fromOutside) g.setAttribute('data-from-outside', 'true');
      e.line = el('path', { class: 'line', 'marker-end': 'url(#arrow-' + cls + ')' }, g);
      e.hit = el('path', { class: 'hit' }, g);
      e.label = el('text', { class: 'edge-label' + (e.sensitive.length ? ' sensitive' : ''), 'text-anchor': 'middle' }, layers.labels);
      e.label.textContent = truncate(e.connections, 26);
      el('title', {}, g).textContent = e.connections;
      e.el = g;
      e.curved = directed.has(e.dst + '>' + e.src);
      g.addEventListener('pointerenter', function () { hover({ edge: i }); });
      g.addEventListener('pointerleave', function () { hover(null); });
      g.addEventListener('click', function (ev) { ev.stopPropagation(); select({ edge: i }); });
    });
  }

  function drawNodes() {
    for (const n of nodes) {
      const g = liveGroups[n.group];
      const flags = ['node', n.external ? 'external' : 'workload'];
      if (n.entry) flags.push('entry');
      if (n.quarantined) flags.push('quarantined');
      if (n.isolated) flags.push('isolated');
      const e = el('g', { class: flags.join(' '), 'data-node': String(n.id), 'data-name': n.name }, layers.nodes);
      e.setAttribute('data-namespace', n.namespace === null ? '' : n.namespace);
      if (n.entry) e.setAttribute('data-entry', 'true');
      if (n.quarantined) e.setAttribute('data-quarantined', 'true');
      if (n.isolated) e.setAttribute('data-isolated', 'true');
      if (n.external) {
        el('rect', { class: 'body', x: -EXT_HALF, y: -14, width: 2 * EXT_HALF, height: 28, rx: '6' }, e);
        el('text', { class: 'kind' }, e).textContent = 'IPs';
      } else {
        el('circle', { class: 'body', r: NODE_R, fill: g.fill, stroke: g.color }, e);
        el('text', { class: 'kind' }, e).textContent = KIND_SHORT[n.kind] || truncate(n.kind.toLowerCase(), 6);
      }
      if (n.isolated) el('circle', { class: 'ring isolated', r: NODE_R + 4 }, e);
      if (n.quarantined) {
        el('circle', { class: 'ring quarantine', r: NODE_R + 6 }, e);
        const b = el('g', { class: 'badge quarantine', transform: 'translate(14,14)' }, e);
        el('rect', { x: -7, y: -7, width: 14, height: 14, rx: '2' }, b);
        el('text', {}, b).textContent = 'Q';
      }
      if (n.entry) {
        const b = el('g', { class: 'badge entry', transform: 'translate(14,-14)' }, e);
        el('circle', { r: 7 }, b);
        el('text', {}, b).textContent = 'in';
      }
      el('title', {}, e).textContent = n.external ? OUTSIDE + ': ' + n.name : n.namespace + '/' + n.name + ' (' + n.kind + ')';
      const name = el('text', { class: 'name', y: n.external ? 28 : 30 }, e);
      name.textContent = truncate(n.name, n.external ? 24 : 30);
      n.el = e;
      e.addEventListener('pointerenter', function () { hover({ node: n.id }); });
      e.addEventListener('pointerleave', function () { hover(null); });
      e.addEventListener('pointerdown', function (ev) { startDrag(ev, [n]); });
      e.addEventListener('click', function (ev) { ev.stopPropagation(); if (!dragMoved) select({ node: n.id }); });
    }
  }

  // Where edges stop: outside the node's body and rings.
  function radius(n) { return n.external ? EXT_HALF + 2 : n.quarantined ? NODE_R + 9 : n.isolated ? NODE_R + 5 : NODE_R + 2; }

  function placeEdge(e) {
    const a = nodes[e.src], b = nodes[e.dst];
    const vx = b.x - a.x, vy = b.y - a.y;
    const len = Math.sqrt(vx * vx + vy * vy) || 1;
    // Two-way pairs bend to their right-hand side so both arrows show.
    const bend = e.curved ? Math.min(28, len / 4) : 0;
    const cx = (a.x + b.x) / 2 - (vy / len) * bend;
    const cy = (a.y + b.y) / 2 + (vx / len) * bend;
    const sa = unit(cx - a.x, cy - a.y), sb = unit(b.x - cx, b.y - cy);
    const x0 = a.x + sa[0] * radius(a), y0 = a.y + sa[1] * radius(a);
    const x1 = b.x - sb[0] * (radius(b) + 2), y1 = b.y - sb[1] * (radius(b) + 2);
    const d = 'M' + x0.toFixed(1) + ',' + y0.toFixed(1) + ' Q' + cx.toFixed(1) + ',' + cy.toFixed(1) + ' ' + x1.toFixed(1) + ',' + y1.toFixed(1);
    e.line.setAttribute('d', d);
    e.hit.setAttribute('d', d);
    e.curve = [x0, y0, cx, cy, x1, y1];
    labelAt(e, 0.5);
  }

  // A point of the edge's quadratic curve, at t in [0, 1].
  function curveAt(e, t) {
    const c = e.curve, u = 1 - t;
    return [u * u * c[0] + 2 * u * t * c[2] + t * t * c[4], u * u * c[1] + 2 * u * t * c[3] + t * t * c[5]];
  }

  function labelAt(e, t) {
    const p = curveAt(e, t);
    e.label.setAttribute('x', p[0].toFixed(1));
    e.label.setAttribute('y', (p[1] - 3).toFixed(1));
    return p;
  }

  // Greedy: each label takes the first spot along its edge that no earlier label covers
  // (estimated boxes; labels are short). Skipped for crowds, where it cannot help.
  function placeLabels() {
    if (edges.length > 400) return;
    const taken = [];
    for (const e of edges) {
      const w = e.label.textContent.length * 5.6 + 4, h = 12;
      let best = null;
      for (const t of [0.5, 0.38, 0.62, 0.28, 0.72]) {
        const p = curveAt(e, t);
        const box = [p[0] - w / 2, p[1] - h, p[0] + w / 2, p[1]];
        const clash = taken.some(function (b) { return box[0] < b[2] && b[0] < box[2] && box[1] < b[3] && b[1] < box[3]; });
        if (!clash || best === null) best = { t: t, box: box };
        if (!clash) break;
      }
      labelAt(e, best.t);
      taken.push(best.box);
    }
  }

  function unit(x, y) { const l = Math.sqrt(x * x + y * y) || 1; return [x / l, y / l]; }

  function placeRegion(g) {
    const b = groupBox(g);
    g.rect.setAttribute('x', b.x0.toFixed(1)); g.rect.setAttribute('y', b.y0.toFixed(1));
    g.rect.setAttribute('width', (b.x1 - b.x0).toFixed(1)); g.rect.setAttribute('height', (b.y1 - b.y0).toFixed(1));
    g.label.setAttribute('x', (b.x0 + 12).toFixed(1)); g.label.setAttribute('y', (b.y0 + 18).toFixed(1));
  }

  function placeAll() {
    for (const n of nodes) n.el.setAttribute('transform', 'translate(' + n.x.toFixed(1) + ',' + n.y.toFixed(1) + ')');
    for (const e of edges) placeEdge(e);
    for (const g of liveGroups) placeRegion(g);
    placeLabels();
  }

  // ---- zoom, pan, drag -------------------------------------------------------------------

  const view = { x: 0, y: 0, k: 1 };
  function applyView() { viewport.setAttribute('transform', 'translate(' + view.x.toFixed(1) + ',' + view.y.toFixed(1) + ') scale(' + view.k.toFixed(4) + ')'); }

  function fit() {
    const shown = liveGroups.filter(function (g) { return !g.hidden; });
    if (!shown.length) return;
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (const g of shown) {
      const b = groupBox(g);
      x0 = Math.min(x0, b.x0); y0 = Math.min(y0, b.y0); x1 = Math.max(x1, b.x1); y1 = Math.max(y1, b.y1);
    }
    const w = svg.clientWidth || 800, h = svg.clientHeight || 600;
    view.k = Math.min(2, 0.94 * Math.min(w / (x1 - x0), h / (y1 - y0)));
    view.x = w / 2 - view.k * (x0 + x1) / 2;
    view.y = h / 2 - view.k * (y0 + y1) / 2;
    applyView();
  }

  function toGraph(ev) {
    const r = svg.getBoundingClientRect();
    return { x: (ev.clientX - r.left - view.x) / view.k, y: (ev.clientY - r.top - view.y) / view.k };
  }

  svg.addEventListener('wheel', function (ev) {
    ev.preventDefault();
    const r = svg.getBoundingClientRect();
    const px = ev.clientX - r.left, py = ev.clientY - r.top;
    const k = Math.min(8, Math.max(0.05, view.k * Math.exp(-ev.deltaY * 0.0015)));
    view.x = px - (px - view.x) * (k / view.k);
    view.y = py - (py - view.y) * (k / view.k);
    view.k = k;
    applyView();
  }, { passive: false });

  let drag = null;
  let dragMoved = false;
  function startDrag(ev, members) {
    if (ev.button !== 0) return;
    ev.stopPropagation();
    const p = toGraph(ev);
    drag = { members: members, x: p.x, y: p.y };
    dragMoved = false;
  }

  document.getElementById('background').addEventListener('pointerdown', function (ev) {
    if (ev.button !== 0) return;
    drag = { pan: true, x: ev.clientX, y: ev.clientY };
    dragMoved = false;
    svg.classList.add('panning');
  });

  // Moves and releases are followed on the window, so a drag continues outside the SVG
  // and clicks still reach the node they started on (no pointer capture).
  window.addEventListener('pointermove', function (ev) {
    if (!drag) return;
    if (drag.pan) {
      view.x += ev.clientX - drag.x; view.y += ev.clientY - drag.y;
      if (Math.abs(ev.clientX - drag.x) + Math.abs(ev.clientY - drag.y) > 0) dragMoved = true;
      drag.x = ev.clientX; drag.y = ev.clientY;
      applyView();
      return;
    }
    const p = toGraph(ev);
    const sx = p.x - drag.x, sy = p.y - drag.y;
    if (Math.abs(sx) + Math.abs(sy) < 0.5) return;
    dragMoved = true;
    drag.x = p.x; drag.y = p.y;
    const touched = new Set();
    const regions = new Set();
    for (const n of drag.members) {
      n.x += sx; n.y += sy;
      n.el.setAttribute('transform', 'translate(' + n.x.toFixed(1) + ',' + n.y.toFixed(1) + ')');
      for (const i of adjacent[n.id]) touched.add(i);
      regions.add(liveGroups[n.group]);
    }
    for (const i of touched) placeEdge(edges[i]);
    for (const g of regions) placeRegion(g);
  });

  function endDrag() {
    drag = null;
    svg.classList.remove('panning');
  }
  window.addEventListener('pointerup', endDrag);
  window.addEventListener('pointercancel', endDrag);

  // ---- details, selection ----------------------------------------------------------------

  const details = document.getElementById('details');
  const detailsHint = Array.from(details.childNodes);
  let selected = null;

  function nodeTitle(n) { return n.external ? OUTSIDE + ': ' + n.name : n.namespace + '/' + n.name; }

  function row(dl, term, value, mono) {
    html('dt', term, dl);
    const dd = html('dd', null, dl);
    if (Array.isArray(value)) {
      if (!value.length) dd.textContent = '\u2014';
      for (const v of value) html('div', v, dd, mono ? 'mono' : '');
    } else {
      dd.textContent = value;
      if (mono) dd.className = 'mono';
    }
  }

  function showDetails(what) {
    if (!what) { details.replaceChildren.apply(details, detailsHint.map(function (n) { return n.cloneNode(true); })); return; }
    details.textContent = '';
    html('h2', what.node !== undefined ? (nodes[what.node].external ? 'Address range' : 'Workload') : 'Connection', details);
    const flags = html('div', null, details);
    const dl = document.createElement('dl');
    if (what.node !== undefined) {
      const n = nodes[what.node];
      html('div', nodeTitle(n), details, 'headline');
      if (n.entry) html('span', 'entry point from outside', flags, 'flag entry');
      if (n.quarantined) html('span', 'quarantined', flags, 'flag quarantined');
      if (n.isolated) html('span', 'isolated', flags, 'flag isolated');
      details.appendChild(flags);
      if (!n.external) {
        row(dl, 'kind', n.kind);
        row(dl, 'namespace', n.namespace);
        row(dl, 'labels', Object.keys(n.labels).map(function (k) { return k + '=' + n.labels[k]; }), true);
        row(dl, 'ports', n.ports, true);
        row(dl, 'policies', (n.ingressIsolated ? 'isolate ingress' : 'ingress open') + ', ' + (n.egressIsolated ? 'isolate egress' : 'egress open'));
        row(dl, 'replicas', n.replicas === null ? 'nothing allowed between them' : n.replicas, true);
        if (n.location) row(dl, 'defined at', n.location, true);
      } else {
        row(dl, 'addresses', n.name.split(','), true);
      }
      const incoming = edges.filter(function (e) { return e.dst === n.id; });
      const outgoing = edges.filter(function (e) { return e.src === n.id; });
      row(dl, 'in from', incoming.map(function (e) { return nodeTitle(nodes[e.src]) + ': ' + e.connections; }), true);
      row(dl, 'out to', outgoing.map(function (e) { return nodeTitle(nodes[e.dst]) + ': ' + e.connections; }), true);
    } else {
      const e = edges[what.edge];
      html('div', nodeTitle(nodes[e.src]) + ' \u2192 ' + nodeTitle(nodes[e.dst]), details, 'headline');
      if (e.fromOutside) html('span', 'from outside the cluster', flags, 'flag entry');
      if (e.sensitive.length) html('span', 'sensitive ports', flags, 'flag sensitive');
      if (e.quarantine) html('span', 'quarantined workload', flags, 'flag quarantined');
      details.appendChild(flags);
      row(dl, 'allowed', e.connections, true);
      if (e.sensitive.length) row(dl, 'sensitive', e.sensitive);
    }
    details.appendChild(dl);
  }

  function hover(what) { if (!selected) showDetails(what); }

  function select(what) {
    selected = what;
    for (const n of nodes) n.el.classList.remove('dim', 'selected');
    for (const e of edges) { e.el.classList.remove('dim', 'selected'); e.label.classList.remove('dim'); }
    if (what) {
      const keepNodes = new Set();
      const keepEdges = new Set();
      if (what.node !== undefined) {
        keepNodes.add(what.node);
        nodes[what.node].el.classList.add('selected');
        for (const i of adjacent[what.node]) { keepEdges.add(i); keepNodes.add(edges[i].src); keepNodes.add(edges[i].dst); }
      } else {
        const e = edges[what.edge];
        keepEdges.add(what.edge); keepNodes.add(e.src); keepNodes.add(e.dst);
        e.el.classList.add('selected');
      }
      for (const n of nodes) if (!keepNodes.has(n.id)) n.el.classList.add('dim');
      edges.forEach(function (e, i) { if (!keepEdges.has(i)) { e.el.classList.add('dim'); e.label.classList.add('dim'); } });
    }
    showDetails(what);
  }

  svg.addEventListener('click', function () { if (!dragMoved) select(null); });
  document.addEventListener('keydown', function (ev) { if (ev.key === 'Escape') select(null); });

  // ---- filter, legend, labels ------------------------------------------------------------

  const filter = document.getElementById('filter');
  const showLabels = document.getElementById('show-labels');
  const nsItems = [];

  function applyFilter() {
    const terms = filter.value.toLowerCase().split(/[\s,]+/).filter(Boolean);
    const match = function (name) { return !terms.length || terms.some(function (t) { return name.toLowerCase().indexOf(t) >= 0; }); };
    for (const g of liveGroups) {
      g.hidden = !g.outside && !match(g.name);
      g.el.classList.toggle('hidden', g.hidden);
      g.label.classList.toggle('hidden', g.hidden);
      for (const m of g.members) m.el.classList.toggle('hidden', g.hidden);
    }
    for (const item of nsItems) item.li.classList.toggle('filtered', item.group.hidden);
    for (const e of edges) {
      const hide = liveGroups[nodes[e.src].group].hidden || liveGroups[nodes[e.dst].group].hidden;
      e.el.classList.toggle('hidden', hide);
      e.label.classList.toggle('hidden', hide || !showLabels.checked);
    }
  }

  function legend() {
    const list = document.getElementById('legend-list');
    function item(text, draw) {
      const li = html('li', null, list);
      const s = el('svg', { width: '44', height: '24', viewBox: '-22 -12 44 24' }, li);
      draw(s);
      html('span', text, li);
    }
    item('workload (colour: namespace)', function (s) { el('circle', { r: 9, fill: '#cfe0f5', stroke: '#3d7cc9', 'stroke-width': 1.5 }, s); });
    item(OUTSIDE + ': an address range', function (s) { el('rect', { x: -13, y: -9, width: 26, height: 18, rx: 4, fill: '#eef0f3', stroke: '#6b7385', 'stroke-dasharray': '4 3' }, s); });
    item('entry point: reachable from outside', function (s) {
      el('circle', { r: 9, fill: '#cfe0f5', stroke: '#3d7cc9' }, s);
      el('circle', { cx: 8, cy: -6, r: 5, fill: '#e67e22' }, s);
    });
    item('quarantined workload', function (s) {
      el('circle', { r: 8, fill: '#cfe0f5', stroke: '#3d7cc9' }, s);
      el('circle', { r: 11, fill: 'none', stroke: '#111', 'stroke-width': 2.5, 'stroke-dasharray': '4 2' }, s);
    });
    item('isolated: no connection in or out', function (s) {
      el('circle', { r: 8, fill: '#cfe0f5', stroke: '#3d7cc9' }, s);
      el('circle', { r: 11, fill: 'none', stroke: '#7f8694', 'stroke-width': 1.5 }, s);
    });
    for (const [text, cls, width, dash] of [
      ['allowed connection', 'plain', 1.3, ''], ['from outside the cluster', 'outside', 2.2, ''],
      ['allows a sensitive port', 'sensitive', 2, ''], ['to or from the quarantined workload', 'plain', 1.3, '5 3'],
    ]) {
      item(text, function (s) {
        el('path', { d: 'M-18,0 L14,0', stroke: { plain: '#9aa3b5', outside: '#e67e22', sensitive: '#d62728' }[cls], 'stroke-width': width, 'stroke-dasharray': dash, 'marker-end': 'url(#arrow-' + cls + ')' }, s);
      });
    }
    document.getElementById('sensitive-list').textContent = data.sensitivePorts.join(', ');
    if (data.problems.length) {
      document.getElementById('problems').classList.remove('hidden');
      const list = document.getElementById('problem-list');
      for (const p of data.problems) html('li', p, list);
    }
    const nsList = document.getElementById('namespace-list');
    for (const g of liveGroups) {
      const li = html('li', null, nsList);
      const sw = html('span', null, li, 'swatch');
      sw.style.background = g.fill; sw.style.borderColor = g.color;
      html('span', (g.outside ? OUTSIDE : g.name) + ' (' + g.members.length + ')', li);
      if (!g.outside) li.addEventListener('click', function () { filter.value = filter.value === g.name ? '' : g.name; applyFilter(); fit(); });
      nsItems.push({ li: li, group: g });
    }
  }

  // ---- start -----------------------------------------------------------------------------

  document.title = data.title;
  document.getElementById('title').textContent = data.title;
  const workloads = nodes.filter(function (n) { return !n.external; }).length;
  const count = function (k, one, many) { return k + ' ' + (k === 1 ? one : many); };
  document.getElementById('stats').textContent =
    count(workloads, 'workload', 'workloads') + ', ' + count(nodes.length - workloads, 'address range', 'address ranges') + ', ' +
    count(edges.length, 'connection', 'connections') + '; ' +
    count(nodes.filter(function (n) { return n.entry; }).length, 'entry point', 'entry points') + ' from outside, ' +
    count(edges.filter(function (e) { return e.sensitive.length; }).length, 'connection', 'connections') + ' allowing sensitive ports';
  showLabels.checked = edges.length <= 150;
  svg.classList.toggle('dense', edges.length > 400);
  markers();
  drawRegions();
  drawEdges();
  drawNodes();
  legend();
  layout();
  placeAll();
  applyFilter();
  fit();
  filter.addEventListener('input', function () { applyFilter(); });
  showLabels.addEventListener('change', applyFilter);
  document.getElementById('fit').addEventListener('click', fit);
  document.getElementById('relayout').addEventListener('click', function () { layout(); placeAll(); fit(); });
  window.addEventListener('resize', fit);
  svg.setAttribute('data-layout', 'done');
})();
