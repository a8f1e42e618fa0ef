// Starts the GOV.UK and MoJ Frontend components on every page, and labels each table cell with its
// column's heading so tables stack on a phone (hub.css).
import { initAll } from '/static/govuk/govuk-frontend.min.js';
initAll();

for (const table of document.querySelectorAll('table.govuk-table')) {
  const headings = Array.from(table.querySelectorAll('thead th')).map((th) => th.textContent.trim());
  if (!headings.length) continue;
  for (const row of table.querySelectorAll('tbody tr')) {
    Array.from(row.children).forEach((cell, index) => {
      if (!cell.hasAttribute('data-label') && headings[index] && !cell.hasAttribute('colspan')) {
        cell.setAttribute('data-label', headings[index]);
      }
    });
  }
}
