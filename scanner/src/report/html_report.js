// crmscan's HTML report: renders each request's findings table and record graph when its section
// is opened. Every value from the scan is set as text (textContent, setAttribute), never parsed
// as HTML: a finding's text is hostile input.
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('crmscan-data').textContent);
  // The columns of data.findings, as the reporter writes them.
  var C = data.columns.reduce(function (map, name, i) { map[name] = i; return map; }, {});
  var PAGE = 100;
  var GRAPH_LIMIT = 400;
  var SVG = 'http://www.w3.org/2000/svg';
  var ACTION_RANK = { delete_record: 0, delete_content: 1, erase_field: 2, review: 3 };
  // How the scan reached a record, by its finding's reason.
  var KIND = {
    identity: 'identity', name: 'identity', shared: 'identity',
    related: 'reference', reaches: 'reference', reference: 'reference',
    key: 'call', content: 'call',
    text: 'text', field: 'text'
  };
  var KIND_LABEL = { identity: 'identity match', reference: 'reference', call: 'call identifier',
    text: 'text mention' };

  var byRequest = data.requests.map(function () { return []; });
  data.findings.forEach(function (f) { byRequest[f[C.request]].push(f); });

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    (children || []).forEach(function (c) {
      node.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    });
    return node;
  }
  function svg(tag, attrs) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    return node;
  }
  function recordKey(object, id) { return object + '\u001f' + id; }

  // The record graph of one request: the request, each record with findings, and the records that
  // led to them. A record with a `via` hangs off the record it names, by its reason; one without
  // hangs off the request, by the reason of its record-level finding.
  function graphOf(findings) {
    var nodes = new Map();
    var edges = new Map();
    nodes.set('request', { key: 'request', type: 'request' });
    var records = new Map();
    findings.forEach(function (f) {
      var key = recordKey(f[C.object], f[C.record_id]);
      if (!records.has(key)) records.set(key, []);
      records.get(key).push(f);
    });
    records.forEach(function (list, key) {
      var best = list.reduce(function (a, f) {
        return ACTION_RANK[f[C.action]] < ACTION_RANK[a[C.action]] ? f : a;
      });
      nodes.set(key, { key: key, type: 'record', object: list[0][C.object],
        id: list[0][C.record_id], action: best[C.action], findings: list.length });
    });
    function edge(from, to, reason) {
      var key = from + '\u001e' + to + '\u001e' + reason;
      if (!edges.has(key)) edges.set(key, { from: from, to: to, reason: reason });
    }
    records.forEach(function (list, key) {
      var via = list.filter(function (f) { return f[C.via_record_id] !== ''; });
      if (via.length === 0) {
        var primary = list.find(function (f) { return f[C.field] === ''; }) || list[0];
        edge('request', key, primary[C.reason]);
        return;
      }
      via.forEach(function (f) {
        var from = recordKey(f[C.via_object], f[C.via_record_id]);
        if (!nodes.has(from)) {
          nodes.set(from, { key: from, type: 'via', object: f[C.via_object],
            id: f[C.via_record_id] });
        }
        edge(from, key, f[C.reason]);
      });
    });
    return { nodes: Array.from(nodes.values()), edges: Array.from(edges.values()) };
  }

  // A layered layout: columns by distance from the request (breadth first over the edges; a
  // record that only a record without findings leads to starts the second column), rows ordered
  // by the mean row of each node's parents.
  function layout(graph) {
    var children = new Map();
    var parents = new Map();
    graph.nodes.forEach(function (n) { children.set(n.key, []); parents.set(n.key, []); });
    graph.edges.forEach(function (e) {
      children.get(e.from).push(e.to);
      parents.get(e.to).push(e.from);
    });
    var layer = new Map([['request', 0]]);
    var queue = ['request'];
    graph.nodes.forEach(function (n) {
      if (n.key !== 'request' && parents.get(n.key).length === 0) {
        layer.set(n.key, 1);
        queue.push(n.key);
      }
    });
    for (var i = 0; i < queue.length; ++i) {
      var at = layer.get(queue[i]);
      children.get(queue[i]).forEach(function (child) {
        if (!layer.has(child)) {
          layer.set(child, at + 1);
          queue.push(child);
        }
      });
    }
    // Nodes on a cycle that no source reaches.
    graph.nodes.forEach(function (n) { if (!layer.has(n.key)) layer.set(n.key, 1); });
    var columns = [];
    graph.nodes.forEach(function (n) {
      var l = layer.get(n.key);
      while (columns.length <= l) columns.push([]);
      columns[l].push(n);
    });
    var row = new Map();
    columns.forEach(function (column) {
      column.forEach(function (n) {
        var placed = parents.get(n.key).filter(function (p) { return row.has(p); });
        n.order = placed.length === 0 ? 0 : placed.reduce(function (s, p) {
          return s + row.get(p);
        }, 0) / placed.length;
      });
      column.sort(function (a, b) {
        return a.order - b.order || (a.object || '').localeCompare(b.object || '') ||
          (a.id || '').localeCompare(b.id || '');
      });
      column.forEach(function (n, r) { row.set(n.key, r); n.layer = layer.get(n.key); n.row = r; });
    });
    return columns;
  }

  function shortId(id) { return id.length > 22 ? id.slice(0, 9) + '…' + id.slice(-9) : id; }
  function shortName(name) { return name.length > 34 ? name.slice(0, 33) + '…' : name; }

  function drawGraph(index, graph, onPick) {
    var columns = layout(graph);
    var W = 236, H = 38, GAP_X = 90, GAP_Y = 12, PAD = 12;
    var tallest = columns.reduce(function (m, c) { return Math.max(m, c.length); }, 0);
    var width = PAD * 2 + columns.length * W + (columns.length - 1) * GAP_X;
    var height = PAD * 2 + tallest * H + (tallest - 1) * GAP_Y;
    var root = svg('svg', { class: 'graph', width: width, height: height,
      viewBox: '0 0 ' + width + ' ' + height, role: 'img',
      'aria-label': 'record graph: ' + (graph.nodes.length - 1) + ' records, ' +
        graph.edges.length + ' links' });
    var defs = svg('defs');
    Object.keys(KIND_LABEL).forEach(function (kind) {
      var marker = svg('marker', { id: 'arrow-' + index + '-' + kind, class: 'kind-' + kind,
        viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 7, markerHeight: 7,
        orient: 'auto-start-reverse' });
      marker.appendChild(svg('path', { d: 'M0,0 L10,5 L0,10 z' }));
      defs.appendChild(marker);
    });
    root.appendChild(defs);
    var at = new Map();
    graph.nodes.forEach(function (n) {
      at.set(n.key, { x: PAD + n.layer * (W + GAP_X), y: PAD + n.row * (H + GAP_Y) });
    });
    var edgeLayer = svg('g', { class: 'edges' });
    graph.edges.forEach(function (e) {
      var a = at.get(e.from), b = at.get(e.to);
      var kind = KIND[e.reason] || 'identity';
      var x1 = a.x + W, y1 = a.y + H / 2, x2 = b.x, y2 = b.y + H / 2;
      var bend = Math.max(40, Math.abs(x2 - x1) / 2);
      var path = svg('path', { class: 'edge kind-' + kind,
        d: 'M' + x1 + ',' + y1 + ' C' + (x1 + bend) + ',' + y1 + ' ' + (x2 - bend) + ',' + y2 +
          ' ' + x2 + ',' + y2,
        'marker-end': 'url(#arrow-' + index + '-' + kind + ')' });
      path.setAttribute('data-from', e.from);
      path.setAttribute('data-to', e.to);
      path.setAttribute('data-reason', e.reason);
      var title = svg('title');
      title.textContent = KIND_LABEL[kind] + ' (' + e.reason + ')';
      path.appendChild(title);
      edgeLayer.appendChild(path);
    });
    root.appendChild(edgeLayer);
    var nodeLayer = svg('g', { class: 'nodes' });
    graph.nodes.forEach(function (n) {
      var p = at.get(n.key);
      var g = svg('g', { class: 'node ' + n.type + (n.action ? ' action-' + n.action : ''),
        transform: 'translate(' + p.x + ',' + p.y + ')', tabindex: 0 });
      g.setAttribute('data-key', n.key);
      g.appendChild(svg('rect', { width: W, height: H, rx: 5 }));
      var title = svg('title');
      var line1 = svg('text', { x: 8, y: 15, class: 'object' });
      var line2 = svg('text', { x: 8, y: 30 });
      if (n.type === 'request') {
        line1.textContent = 'request ' + data.requests[index];
        line2.textContent = graph.nodes.length - 1 + ' record(s)';
        title.textContent = 'request ' + data.requests[index];
      } else {
        line1.textContent = shortName(n.object);
        line2.textContent = shortId(n.id) + (n.type === 'via' ? '' : '  ' + n.action);
        title.textContent = n.object + ' ' + n.id + (n.type === 'via'
          ? ': led to records of the request, has no finding of its own'
          : ': ' + n.action + ', ' + n.findings + ' finding(s)');
        if (n.type === 'record') {
          g.addEventListener('click', function () { onPick(n.object, n.id); });
        }
      }
      g.appendChild(title);
      g.appendChild(line1);
      g.appendChild(line2);
      nodeLayer.appendChild(g);
    });
    root.appendChild(nodeLayer);
    return root;
  }

  function legend() {
    var box = el('div', { class: 'legend' });
    Object.keys(KIND_LABEL).forEach(function (kind) {
      box.appendChild(el('span', {}, [el('span', { class: 'swatch kind-' + kind }),
        KIND_LABEL[kind]]));
    });
    box.appendChild(el('span', {}, ['dashed: a record that led to others, with no finding']));
    box.appendChild(el('span', {}, ['click a record to list its findings']));
    return box;
  }

  var COLUMNS = [
    ['object', 'Object'], ['record_id', 'Record'], ['field', 'Field'], ['category', 'Category'],
    ['action', 'Action'], ['reason', 'Reason'], ['confidence', 'Confidence'],
    ['flags', 'Archived / deleted'], ['preview', 'Value'], ['detail', 'Why (rule, read from)'],
    ['decision', 'Decision']
  ];
  // Searched too, and shown under the reason why.
  var SEARCHED = COLUMNS.map(function (c) { return c[0]; }).concat(['rule', 'location']);
  function cell(f, name) {
    if (name === 'flags') {
      return [f[C.archived] ? 'archived' : '', f[C.deleted] ? 'deleted' : '']
        .filter(Boolean).join(', ');
    }
    return f[C[name]];
  }

  function distinct(findings, column) {
    var seen = new Set();
    findings.forEach(function (f) { seen.add(f[C[column]]); });
    return Array.from(seen).sort();
  }

  function renderRequest(details) {
    var index = Number(details.getAttribute('data-request'));
    var findings = byRequest[index];
    var body = details.querySelector('.content');
    if (findings.length === 0) {
      body.appendChild(el('p', { class: 'none' }, ['No data found for this request.']));
      return;
    }
    var state = { action: '', object: '', category: '', record: null, text: '', sort: null,
      descending: false, page: 0 };

    // The record graph.
    body.appendChild(el('h3', {}, ['Record graph']));
    body.appendChild(el('p', { class: 'note' }, [
      'How the scan reached each of the customer\u2019s records: from the request by an identity ' +
      'match or a mention in text, from another record by a reference or a call identifier.']));
    body.appendChild(legend());
    var box = el('div', { class: 'graph-box' });
    body.appendChild(box);
    var graph = graphOf(findings);
    function pick(object, id) {
      state.record = [object, id];
      state.page = 0;
      update();
      table.scrollIntoView({ block: 'nearest' });
    }
    function draw() { box.replaceChildren(drawGraph(index, graph, pick)); }
    if (graph.nodes.length <= GRAPH_LIMIT) {
      draw();
    } else {
      var button = el('button', { type: 'button' }, ['Draw the graph of ' +
        (graph.nodes.length - 1) + ' records']);
      button.addEventListener('click', draw);
      box.appendChild(el('p', { class: 'note' }, [
        'This request reached ' + (graph.nodes.length - 1) + ' records: the graph is drawn ' +
        'on demand. ', button]));
    }

    // The findings table.
    body.appendChild(el('h3', {}, ['Findings']));
    var controls = el('div', { class: 'controls' });
    function select(column, label) {
      var s = el('select', { 'data-filter': column },
        [el('option', { value: '' }, ['all'])].concat(distinct(findings, column).map(function (v) {
          return el('option', { value: v }, [v]);
        })));
      s.addEventListener('change', function () { state[column] = s.value; state.page = 0; update(); });
      controls.appendChild(el('label', {}, [label, s]));
    }
    select('action', 'Action');
    select('object', 'Object');
    select('category', 'Category');
    var search = el('input', { type: 'search', 'data-filter': 'text', placeholder: 'any text' });
    search.addEventListener('input', function () {
      state.text = search.value.toLowerCase();
      state.page = 0;
      update();
    });
    controls.appendChild(el('label', {}, ['Search', search]));
    var chip = el('span', { class: 'chip', hidden: '' });
    controls.appendChild(chip);
    body.appendChild(controls);

    var table = el('table', { class: 'findings' });
    var head = el('tr');
    COLUMNS.forEach(function (c) {
      var th = el('th', { 'data-column': c[0], tabindex: 0 }, [c[1]]);
      th.addEventListener('click', function () {
        state.descending = state.sort === c[0] ? !state.descending : false;
        state.sort = c[0];
        update();
      });
      head.appendChild(th);
    });
    table.appendChild(el('thead', {}, [head]));
    var tbody = el('tbody');
    table.appendChild(tbody);
    var status = el('span', { class: 'rows' });
    var prev = el('button', { type: 'button' }, ['Previous']);
    var next = el('button', { type: 'button' }, ['Next']);
    prev.addEventListener('click', function () { state.page -= 1; update(); });
    next.addEventListener('click', function () { state.page += 1; update(); });
    body.appendChild(el('div', { class: 'pager' }, [prev, next, status]));
    body.appendChild(el('div', { class: 'table-box' }, [table]));

    function update() {
      var rows = findings.filter(function (f) {
        if (state.action && f[C.action] !== state.action) return false;
        if (state.object && f[C.object] !== state.object) return false;
        if (state.category && f[C.category] !== state.category) return false;
        if (state.record && (f[C.object] !== state.record[0] ||
            f[C.record_id] !== state.record[1])) return false;
        if (state.text) {
          return SEARCHED.some(function (name) {
            return String(cell(f, name)).toLowerCase().indexOf(state.text) >= 0;
          });
        }
        return true;
      });
      if (state.sort) {
        var sign = state.descending ? -1 : 1;
        rows = rows.map(function (f, i) { return [f, i]; });
        rows.sort(function (a, b) {
          var x = String(cell(a[0], state.sort)), y = String(cell(b[0], state.sort));
          return (x < y ? -sign : x > y ? sign : 0) || a[1] - b[1];
        });
        rows = rows.map(function (p) { return p[0]; });
      }
      head.querySelectorAll('th').forEach(function (th) {
        if (th.getAttribute('data-column') === state.sort) {
          th.setAttribute('aria-sort', state.descending ? 'descending' : 'ascending');
        } else {
          th.removeAttribute('aria-sort');
        }
      });
      var pages = Math.max(1, Math.ceil(rows.length / PAGE));
      state.page = Math.min(Math.max(state.page, 0), pages - 1);
      var first = state.page * PAGE;
      var shown = rows.slice(first, first + PAGE);
      tbody.replaceChildren.apply(tbody, shown.map(function (f) {
        var tr = el('tr', { 'data-action': f[C.action] });
        if (f[C.decision]) tr.setAttribute('data-decided', '');
        COLUMNS.forEach(function (c) {
          var td = el('td', { class: 'col-' + c[0] }, [String(cell(f, c[0]))]);
          if (c[0] === 'action') td.className += ' action action-' + f[C.action];
          if (c[0] === 'detail') {
            td.appendChild(el('div', { class: 'meta' }, [f[C.rule] + ' \u00b7 ' + f[C.location]]));
          }
          tr.appendChild(td);
        });
        return tr;
      }));
      status.textContent = rows.length === 0 ? 'no finding matches' :
        'findings ' + (first + 1) + '–' + (first + shown.length) + ' of ' + rows.length +
        (rows.length === findings.length ? '' : ' (of ' + findings.length + ')');
      status.setAttribute('data-matching', rows.length);
      prev.disabled = state.page === 0;
      next.disabled = state.page >= pages - 1;
      chip.hidden = !state.record;
      chip.textContent = state.record ? 'record ' + state.record[0] + ' ' + state.record[1] +
        ' (click here to show all)' : '';
    }
    chip.addEventListener('click', function () { state.record = null; update(); });
    update();
  }

  function open(details) {
    if (details.getAttribute('data-rendered') === null) {
      details.setAttribute('data-rendered', '');
      renderRequest(details);
    }
  }
  document.querySelectorAll('details.request').forEach(function (details) {
    details.addEventListener('toggle', function () { if (details.open) open(details); });
    if (details.open) open(details);
  });
  function openFromHash() {
    var target = location.hash && document.getElementById(location.hash.slice(1));
    if (target && target.matches('details.request')) target.open = true;
  }
  window.addEventListener('hashchange', openFromHash);
  openFromHash();
  document.documentElement.setAttribute('data-ready', '');
})();
