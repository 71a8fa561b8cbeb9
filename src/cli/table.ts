/** A plain text table: a header row and left-aligned columns two spaces apart. */
export function formatTable(headers: readonly string[], rows: readonly (readonly (string | number | boolean | null | undefined)[])[]): string {
  const cells = [headers, ...rows].map((row) => headers.map((_, i) => cellText(row[i])));
  const widths = headers.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
  return cells
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function cellText(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined || value === '') return '-';
  // Tables are one line per row; a newline in a cell would break the columns.
  return String(value).replace(/\s*\n\s*/g, ' ');
}
