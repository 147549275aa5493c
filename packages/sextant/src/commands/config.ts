import { stringify } from 'yaml';
import { AdminRequestError, adminGet } from '../admin-client/admin-client';
import { adminBaseUrl, DEFAULT_ADMIN } from '../admin-client/admin-url';
import { choiceOption, stringOption, type Command } from '../cli/command';
import { CONFIG_TYPES, configTable, v3Resources, type ConfigType } from '../views/proxy-config-view';
import { formatTable } from '../views/table';

const TYPES = [...CONFIG_TYPES, 'all'] as const;
const OUTPUTS = ['table', 'json', 'yaml'] as const;

export const configCommand: Command = {
  name: 'config',
  summary: 'what a running sextant serves one proxy over v3: clusters, listeners, routes, endpoints',
  details: [
    'PROXY is the node id the proxy sends (sidecar~10.0.0.5~web-1~default.svc.cluster.local, or a',
    'bare name); it need not be connected. Reads /debug/config/PROXY on the admin listener.',
    '--type: one resource type (default: all). -o json|yaml: the resources as Sextant encodes them.',
    `--admin URL: the admin listener (default: listen.admin of --config, else ${DEFAULT_ADMIN}).`,
  ].join('\n'),
  usage:
    'PROXY [--type clusters|listeners|routes|endpoints|all] [-o table|json|yaml] [--admin URL | --config FILE]',
  options: {
    type: { type: 'string', short: 't' },
    output: { type: 'string', short: 'o' },
    admin: { type: 'string' },
    config: { type: 'string', short: 'c' },
  },
  positionals: { min: 1, max: 1 },
  run: async ({ values, positionals }, io) => {
    const type = choiceOption(values, 'type', TYPES, 'all');
    const output = choiceOption(values, 'output', OUTPUTS, 'table');
    const proxy = positionals[0] ?? '';
    const base = await adminBaseUrl(stringOption(values, 'admin'), stringOption(values, 'config'), io.env);
    let resources;
    try {
      const body = await adminGet(base, `debug/config/${encodeURIComponent(proxy)}`);
      resources = v3Resources(body);
      if (!resources) throw new AdminRequestError(`${base.href}debug/config: the answer has no v3 section`);
    } catch (error) {
      if (!(error instanceof AdminRequestError)) throw error;
      io.stderr.write(`sextant config: ${error.message}\n`);
      return 1;
    }
    const types: readonly ConfigType[] = type === 'all' ? CONFIG_TYPES : [type];
    if (output !== 'table') {
      const selected = Object.fromEntries(types.map((t) => [t, resources[t]]));
      const document = { proxy, ...selected };
      io.stdout.write(output === 'json' ? `${JSON.stringify(document, null, 2)}\n` : stringify(document));
      return 0;
    }
    const sections = types.map((t) => {
      const { header, rows } = configTable(t, resources);
      const body = rows.length === 0 ? `No ${t}.\n` : formatTable(header, rows);
      return types.length > 1 ? `${t.toUpperCase()}\n${body}` : body;
    });
    io.stdout.write(sections.join('\n'));
    return 0;
  },
};
