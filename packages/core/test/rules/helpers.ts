import {
  formatRuleProblem,
  parseRule,
  readRuleDocuments,
  type ParsedRule,
  type RuleProblem,
} from '../../src';

/** Every resource in `text` parsed; problems of reading and parsing, formatted one per line. */
export function parseAll(
  text: string,
  file = 'rules.yaml',
): { rules: ParsedRule[]; problems: RuleProblem[]; lines: string[] } {
  const read = readRuleDocuments(text, file);
  const rules: ParsedRule[] = [];
  const problems: RuleProblem[] = [...read.problems];
  for (const input of read.inputs) {
    const result = parseRule(input);
    if (result.rule) rules.push(result.rule);
    problems.push(...result.problems);
  }
  return { rules, problems, lines: problems.map(formatRuleProblem) };
}

/** The one rule in `text`; fails the test when there is none. */
export function parseOne(
  text: string,
  file = 'rules.yaml',
): { rule: ParsedRule; problems: RuleProblem[]; lines: string[] } {
  const parsed = parseAll(text, file);
  const [rule] = parsed.rules;
  if (!rule || parsed.rules.length !== 1)
    throw new Error(`expected one rule, got ${parsed.rules.length}:\n${parsed.lines.join('\n')}`);
  return { rule, problems: parsed.problems, lines: parsed.lines };
}

/** The problem lines of `text` without those for one render target. */
export function untargeted(lines: readonly string[]): string[] {
  return lines.filter((line) => !/: (error|warning) for (v1|v3|grpc): /.test(line));
}

/** A YAML text from lines (readable in tests). */
export function yaml(...lines: string[]): string {
  return `${lines.join('\n')}\n`;
}
