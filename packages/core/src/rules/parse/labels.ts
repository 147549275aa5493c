import type { Labels } from '../../model';
import type { Fields } from './fields';
import { labelKeyProblem, labelValueProblem } from './names';

/** A label map (`sourceLabels`, a subset's `labels`), each key and value checked as Kubernetes would. */
export function readLabels(fields: Fields, name: string): Labels | undefined {
  if (!fields.has(name)) return undefined;
  const labels: [string, string][] = [];
  for (const entry of fields.stringMap(name)) {
    const keyProblem = labelKeyProblem(entry.key);
    if (keyProblem !== undefined) {
      fields.ctx.error(entry.path, 'invalid-label', keyProblem, { atKey: true });
      continue;
    }
    const valueProblem = labelValueProblem(entry.value);
    if (valueProblem !== undefined) {
      fields.ctx.error(entry.path, 'invalid-label', valueProblem);
      continue;
    }
    labels.push([entry.key, entry.value]);
  }
  return Object.fromEntries(labels);
}
