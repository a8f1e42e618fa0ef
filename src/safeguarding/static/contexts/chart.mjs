// The link chart: Cytoscape.js draws the network embedded in the page (the same data as the tables
// beneath it), with filters by kind and agency, a time slider, and saving the chart as an image.
// The tables are filtered with the chart, so what is shown is the same in both.
import cytoscape from '/static/cytoscape/cytoscape.esm.min.mjs';

const started = performance.now();
const container = document.getElementById('chart');
const data = JSON.parse(document.getElementById('chart-data').textContent);
const anchor = container.dataset.anchor;

const SHAPES = {child: 'ellipse', adult: 'round-rectangle', person: 'round-rectangle', vehicle: 'diamond',
  place: 'triangle', phone: 'rectangle', peer_group: 'hexagon'};
const COLOURS = {child: '#1d70b8', adult: '#d4351c', person: '#505a5f', vehicle: '#00703c', place: '#f47738',
  phone: '#4c2c92', peer_group: '#912b88'};

const cy = cytoscape({
  container,
  elements: [...data.nodes, ...data.edges],
  style: [
    {selector: 'node', style: {
      'label': 'data(label)', 'font-size': 9, 'text-wrap': 'ellipsis', 'text-max-width': 110,
      // Labels are drawn once they are big enough to read: a large network opens zoomed out.
      'min-zoomed-font-size': 7,
      'background-color': (n) => COLOURS[n.data('kind')] || '#505a5f',
      'shape': (n) => SHAPES[n.data('kind')] || 'ellipse', 'width': 18, 'height': 18,
    }},
    {selector: `node[id = "${anchor}"]`, style: {'width': 30, 'height': 30, 'border-width': 3, 'border-color': '#0b0c0c'}},
    {selector: 'edge', style: {'width': 1.5, 'line-color': '#b1b4b6', 'curve-style': 'haystack'}},
    {selector: '.hub-hidden', style: {'display': 'none'}},
  ],
  layout: {name: 'breadthfirst', roots: `#${anchor}`, circle: true, spacingFactor: 0.9, animate: false},
  minZoom: 0.1, maxZoom: 4, pixelRatio: 1, hideEdgesOnViewport: true,
});

cy.on('tap', 'node', (event) => { window.location.href = event.target.data('href'); });

const controls = document.getElementById('chart-controls');
controls.hidden = false;
const slider = document.getElementById('time-slider');
const DAY = 86400000;
let first = null;
if (slider) {
  first = Date.parse(slider.dataset.first);
  const days = Math.round((Date.parse(slider.dataset.last) - first) / DAY);
  slider.max = String(days);
  slider.value = String(days);
}

function checked(filter) {
  return new Set([...document.querySelectorAll(`input[data-filter="${filter}"]`)].filter((i) => i.checked).map((i) => i.value));
}

function apply() {
  const kinds = checked('kind');
  const agencies = checked('agency');
  const upTo = slider ? new Date(first + Number(slider.value) * DAY).toISOString().slice(0, 10) : '9999-12-31';
  if (slider) {
    document.getElementById('time-slider-value').textContent =
      new Date(upTo).toLocaleDateString('en-GB', {day: 'numeric', month: 'long', year: 'numeric'});
  }
  const shownEdges = new Set();
  const shownNodes = new Set([anchor]);
  cy.batch(() => {
    cy.edges().forEach((edge) => {
      const d = edge.data();
      const ok = agencies.has(d.agency) && d.date <= upTo
        && kinds.has(edge.source().data('kind')) && kinds.has(edge.target().data('kind'));
      edge.toggleClass('hub-hidden', !ok);
      if (ok) { shownEdges.add(d.id); shownNodes.add(d.source); shownNodes.add(d.target); }
    });
    cy.nodes().forEach((node) => node.toggleClass('hub-hidden', !shownNodes.has(node.id())));
  });
  document.querySelectorAll('#chart-links tr[data-edge]').forEach((row) => { row.hidden = !shownEdges.has(row.dataset.edge); });
  document.querySelectorAll('#chart-nodes tr[data-node]').forEach((row) => { row.hidden = !shownNodes.has(row.dataset.node); });
}

controls.addEventListener('change', apply);
if (slider) slider.addEventListener('input', apply);

document.getElementById('export-png').addEventListener('click', () => {
  const link = document.createElement('a');
  link.href = cy.png({full: true, bg: '#ffffff', scale: 2});
  link.download = `${document.title.replace(/[^A-Za-z0-9]+/g, '-')}.png`;
  document.body.appendChild(link);
  link.click();
  link.remove();
});

cy.ready(() => {
  requestAnimationFrame(() => {
    // How long drawing took (from this script's start), and since the page was asked for.
    container.dataset.drawnMs = String(Math.round(performance.now() - started));
    container.dataset.sinceNavigationMs = String(Math.round(performance.now()));
    container.dataset.drawn = 'true';
  });
});
