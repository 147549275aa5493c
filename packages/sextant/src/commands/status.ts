import { AdminRequestError, adminGet } from '../admin-client/admin-client';
import { adminBaseUrl, DEFAULT_ADMIN } from '../admin-client/admin-url';
import { choiceOption, stringOption, type Command } from '../cli/command';
import { fleetRows, TYPE_COLUMNS, type ProxyRow } from '../views/fleet-view';
import { cell, formatAge, formatTable } from '../views/table';

const OUTPUTS = ['table', 'json'] as const;

export const statusCommand: Command = {
  name: 'status',
  summary: 'the proxies connected to a running sextant, and whether each is in sync (per type)',
  details: [
    'One line per proxy (node id): its kind, address, and for CDS, LDS, RDS and EDS whether it',
    'acknowledged the latest response (SYNCED), not yet (STALE), rejected it (NACKED: the reason is',
    'printed below the table) or was sent none (NOT SENT). Reads /debug/proxies on the admin listener.',
    `--admin URL: the admin listener (default: listen.admin of --config, else ${DEFAULT_ADMIN}).`,
  ].join('\n'),
  usage: '[--admin URL | --config FILE] [-o table|json]',
  options: {
    admin: { type: 'string' },
    config: { type: 'string', short: 'c' },
    output: { type: 'string', short: 'o' },
  },
  positionals: { min: 0, max: 0 },
  run: async ({ values }, io) => {
    const output = choiceOption(values, 'output', OUTPUTS, 'table');
    const base = await adminBaseUrl(stringOption(values, 'admin'), stringOption(values, 'config'), io.env);
    let rows: ProxyRow[];
    try {
      rows = fleetRows(await adminGet(base, 'debug/proxies'), Date.now());
    } catch (error) {
      if (!(error instanceof AdminRequestError)) throw error;
      io.stderr.write(`sextant status: ${error.message}\n`);
      return 1;
    }
    io.stdout.write(
      output === 'json' ? `${JSON.stringify({ proxies: rows }, null, 2)}\n` : fleetTable(rows, Date.now()),
    );
    return 0;
  },
};

/** The rows as `istioctl proxy-status` prints them, with the reason of every NACK underneath. */
export function fleetTable(rows: readonly ProxyRow[], now: number): string {
  if (rows.length === 0) return 'No proxies connected.\n';
  const withStatus = rows.some((row) => row.status !== null);
  const withLastSeen = rows.some((row) => row.lastSeen !== null);
  const header = [
    'NAME',
    'KIND',
    'ADDRESS',
    ...TYPE_COLUMNS.map((t) => t.toUpperCase()),
    ...(withStatus ? ['STATUS'] : []),
    'AGE',
    ...(withLastSeen ? ['LAST SEEN'] : []),
  ];
  const table = rows.map((row) => [
    cell(row.name),
    cell(row.kind),
    cell(row.address),
    ...TYPE_COLUMNS.map((t) => row.types[t]),
    ...(withStatus ? [cell(row.status)] : []),
    row.connectedSeconds === null ? '-' : formatAge(row.connectedSeconds),
    ...(withLastSeen ? [lastSeen(row.lastSeen, now)] : []),
  ]);
  const nacks = rows.flatMap((row) =>
    TYPE_COLUMNS.flatMap((t) => {
      const message = row.nacks[t];
      return message === undefined
        ? []
        : [`${cell(row.name)} rejected ${t.toUpperCase()}: ${cell(message, 500)}`];
    }),
  );
  return formatTable(header, table) + (nacks.length > 0 ? `\n${nacks.join('\n')}\n` : '');
}

function lastSeen(at: string | null, now: number): string {
  const ms = at === null ? NaN : Date.parse(at);
  return Number.isNaN(ms) ? '-' : `${formatAge((now - ms) / 1000)} ago`;
}
