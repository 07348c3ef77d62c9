// palisade netpol graph: the layout. A seeded force-directed layout written for this page
// (no library): namespaces stay together as groups, connected groups attract, groups never
// overlap. Deterministic: the same graph always gets the same picture.
// Input: nodes (with `group`, an index into groups), groups (with `members`, `outside`,
// `title`), edges (`src`, `dst`). Output: `x`, `y` on every node.
const palisadeLayout = (function () {
  'use strict';

  // FNV-1a over the node names: the same input gets the same layout.
  function seedOf(items) {
    let h = 0x811c9dc5;
    for (const s of items) {
      for (let i = 0; i < s.length; i++) {
        h ^= s.charCodeAt(i);
        h = Math.imul(h, 0x01000193);
      }
      h ^= 0xff;
      h = Math.imul(h, 0x01000193);
    }
    return h >>> 0;
  }

  // mulberry32: a tiny, good-enough seeded generator.
  function random(seed) {
    let a = seed >>> 0;
    return function () {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  // Springs (each unordered connected pair once), node degrees, and connected group pairs
  // with a weight growing slowly with the number of connections between them.
  function structure(nodes, groups, edges) {
    const springs = new Map();
    const degree = new Array(nodes.length).fill(0);
    for (const e of edges) {
      springs.set(e.src < e.dst ? e.src + ',' + e.dst : e.dst + ',' + e.src, [e.src, e.dst]);
      degree[e.src]++; degree[e.dst]++;
    }
    const counts = new Map();
    for (const pair of springs.values()) {
      const a = nodes[pair[0]].group, b = nodes[pair[1]].group;
      if (a === b) continue;
      const key = a < b ? a + ',' + b : b + ',' + a;
      counts.set(key, (counts.get(key) || 0) + 1);
    }
    const groupLinks = Array.from(counts, function (kv) {
      const ab = kv[0].split(',').map(Number);
      return [ab[0], ab[1], Math.min(1, 0.3 + 0.2 * Math.log(kv[1]))];
    });
    return { springs: springs, degree: degree, groupLinks: groupLinks };
  }

  const K = 70; // ideal distance between neighbours

  function groupRadius(g) { return K * 0.62 * Math.sqrt(g.members.length) + 40; }

  function layout(nodes, groups, edges) {
    const rnd = random(seedOf(nodes.map(function (n) { return (n.namespace || '') + '/' + n.name; })));
    const n = nodes.length;
    const s = structure(nodes, groups, edges);
    const springs = s.springs, degree = s.degree, groupLinks = s.groupLinks;
    // Groups start on a sunflower spiral filling a disc (the outside, usually the busiest
    // hub, in the middle), members on a smaller spiral around their group's centre.
    const order = groups.filter(function (g) { return g.outside; })
      .concat(groups.filter(function (g) { return !g.outside; }));
    const spacing = 1.2 * order.reduce(function (s, g) { return s + groupRadius(g); }, 0) / order.length;
    order.forEach(function (g, gi) {
      const ga = gi * 2.39996;
      const gr = spacing * Math.sqrt(gi);
      const cx = gr * Math.cos(ga), cy = gr * Math.sin(ga);
      g.members.forEach(function (m, i) {
        const r = K * 0.55 * Math.sqrt(i + 0.5);
        const t = i * 2.39996 + rnd() * 0.3;
        m.x = cx + r * Math.cos(t) + rnd() - 0.5;
        m.y = cy + r * Math.sin(t) + rnd() - 0.5;
      });
    });
    const iterations = n > 1500 ? 80 : n > 500 ? 150 : 300;
    const cell = 3 * K;
    const dx = new Float64Array(n);
    const dy = new Float64Array(n);
    let temperature = K * 2;
    for (let it = 0; it < iterations; it++) {
      dx.fill(0); dy.fill(0);
      // Repulsion between nearby nodes, through a grid (only neighbouring cells).
      const grid = new Map();
      for (let i = 0; i < n; i++) {
        const key = Math.floor(nodes[i].x / cell) + ':' + Math.floor(nodes[i].y / cell);
        let bucket = grid.get(key);
        if (!bucket) grid.set(key, bucket = []);
        bucket.push(i);
      }
      for (let i = 0; i < n; i++) {
        const a = nodes[i];
        const cx = Math.floor(a.x / cell);
        const cy = Math.floor(a.y / cell);
        for (let gx = cx - 1; gx <= cx + 1; gx++) {
          for (let gy = cy - 1; gy <= cy + 1; gy++) {
            const bucket = grid.get(gx + ':' + gy);
            if (!bucket) continue;
            for (const j of bucket) {
              if (j <= i) continue;
              const b = nodes[j];
              let ddx = a.x - b.x;
              let ddy = a.y - b.y;
              let d2 = ddx * ddx + ddy * ddy;
              if (d2 < 0.01) { ddx = rnd() - 0.5; ddy = rnd() - 0.5; d2 = 0.01; }
              const d = Math.sqrt(d2);
              if (d > cell) continue;
              const f = (K * K / d) * (a.group === b.group ? 0.7 : 2);
              dx[i] += ddx / d * f; dy[i] += ddy / d * f;
              dx[j] -= ddx / d * f; dy[j] -= ddy / d * f;
            }
          }
        }
      }
      // Springs along connections inside a namespace (softened for busy nodes, so a fully
      // open namespace does not collapse); across namespaces only a weak, bounded pull that
      // turns a node toward its peers without squeezing its group.
      for (const pair of springs.values()) {
        const a = nodes[pair[0]];
        const b = nodes[pair[1]];
        const ddx = a.x - b.x;
        const ddy = a.y - b.y;
        const d = Math.sqrt(ddx * ddx + ddy * ddy) + 0.01;
        const soft = Math.sqrt(Math.max(1, Math.min(degree[pair[0]], degree[pair[1]]) / 3));
        const f = a.group === b.group ? (d * d / K) * 0.5 / soft : 2 * Math.min(d / K, 3) / soft;
        dx[pair[0]] -= ddx / d * f; dy[pair[0]] -= ddy / d * f;
        dx[pair[1]] += ddx / d * f; dy[pair[1]] += ddy / d * f;
      }
      // Groups: connected namespaces attract each other as wholes; overlapping ones push
      // apart; each node is pulled to its group's centre; the whole drifts to the origin.
      // A group's radius is measured (its farthest member, plus room for labels).
      const centres = groups.map(function (g) {
        let sx = 0, sy = 0, far = 0;
        for (const m of g.members) { sx += m.x; sy += m.y; }
        const x = sx / g.members.length, y = sy / g.members.length;
        for (const m of g.members) far = Math.max(far, Math.hypot(m.x - x, m.y - y));
        return { x: x, y: y, r: far + 50, push: { x: 0, y: 0 } };
      });
      for (const link of groupLinks) {
        const A = centres[link[0]], B = centres[link[1]];
        const ddx = A.x - B.x, ddy = A.y - B.y;
        const d = Math.sqrt(ddx * ddx + ddy * ddy) + 0.01;
        const f = Math.min(d - A.r - B.r, 4 * K) > 0 ? Math.min(d - A.r - B.r, 4 * K) * 0.08 * link[2] : 0;
        A.push.x -= ddx / d * f; A.push.y -= ddy / d * f;
        B.push.x += ddx / d * f; B.push.y += ddy / d * f;
      }
      for (let a = 0; a < centres.length; a++) {
        for (let b = a + 1; b < centres.length; b++) {
          const A = centres[a], B = centres[b];
          let ddx = A.x - B.x, ddy = A.y - B.y;
          let d = Math.sqrt(ddx * ddx + ddy * ddy);
          if (d < 0.01) { ddx = rnd() - 0.5; ddy = rnd() - 0.5; d = 0.01; }
          const want = A.r + B.r + 40;
          if (d < want) {
            const f = (want - d) * 0.5;
            A.push.x += ddx / d * f; A.push.y += ddy / d * f;
            B.push.x -= ddx / d * f; B.push.y -= ddy / d * f;
          }
        }
      }
      groups.forEach(function (g, gi) {
        const c = centres[gi];
        for (const m of g.members) {
          const i = m.id;
          dx[i] += (c.x - m.x) * 0.35 + c.push.x - c.x * 0.02;
          dy[i] += (c.y - m.y) * 0.35 + c.push.y - c.y * 0.02;
        }
      });
      for (let i = 0; i < n; i++) {
        const d = Math.sqrt(dx[i] * dx[i] + dy[i] * dy[i]);
        if (d > 0) {
          const step = Math.min(d, temperature);
          nodes[i].x += dx[i] / d * step;
          nodes[i].y += dy[i] * step / d;
        }
      }
      temperature = Math.max(1, temperature * 0.985);
    }
    separateGroups(groups);
  }

  // Bounding box of a group's members, padded for the node labels and the region's title.
  function groupBox(g) {
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (const m of g.members) {
      x0 = Math.min(x0, m.x); y0 = Math.min(y0, m.y);
      x1 = Math.max(x1, m.x); y1 = Math.max(y1, m.y);
    }
    // Wide enough for the title (an estimate: the layout runs before anything is shown).
    const title = g.title.length * 7.8 + 28;
    x0 -= 52; x1 += 52;
    if (x1 - x0 < title) { const grow = (title - (x1 - x0)) / 2; x0 -= grow; x1 += grow; }
    return { x0: x0, y0: y0 - 50, x1: x1, y1: y1 + 42 };
  }

  // The force layout leaves groups apart on average; this pass makes sure no two regions
  // overlap, moving whole groups along the axis of least overlap.
  function separateGroups(groups) {
    for (let round = 0; round < 200; round++) {
      let moved = false;
      const boxes = groups.map(groupBox);
      for (let a = 0; a < boxes.length; a++) {
        for (let b = a + 1; b < boxes.length; b++) {
          const A = boxes[a], B = boxes[b];
          const ox = Math.min(A.x1, B.x1) - Math.max(A.x0, B.x0) + 16;
          const oy = Math.min(A.y1, B.y1) - Math.max(A.y0, B.y0) + 16;
          if (ox <= 0.5 || oy <= 0.5) continue; // apart, up to rounding
          moved = true;
          let sx = 0, sy = 0;
          if (ox < oy) sx = ((A.x0 + A.x1) < (B.x0 + B.x1) ? -1 : 1) * ox / 2;
          else sy = ((A.y0 + A.y1) < (B.y0 + B.y1) ? -1 : 1) * oy / 2;
          shiftGroup(groups[a], sx, sy, A);
          shiftGroup(groups[b], -sx, -sy, B);
        }
      }
      if (!moved) break;
    }
  }

  function shiftGroup(g, sx, sy, box) {
    for (const m of g.members) { m.x += sx; m.y += sy; }
    if (box) { box.x0 += sx; box.x1 += sx; box.y0 += sy; box.y1 += sy; }
  }

  return { layout: layout, groupBox: groupBox };
})();
