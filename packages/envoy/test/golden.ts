import fs from 'node:fs';
import path from 'node:path';

/**
 * Compares a rendered body with its golden file. `UPDATE_GOLDEN=1 npx jest` rewrites the files;
 * review the diff before committing it.
 */
export function expectGolden(name: string, actual: unknown): void {
  const file = path.join(__dirname, 'golden', `${name}.json`);
  const text = `${JSON.stringify(actual, null, 2)}\n`;
  if (process.env.UPDATE_GOLDEN === '1' || !fs.existsSync(file)) {
    if (process.env.CI === 'true')
      throw new Error(`golden file ${file} is missing; run the tests locally to create it`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
  }
  expect(JSON.parse(text)).toEqual(JSON.parse(fs.readFileSync(file, 'utf8')));
}
