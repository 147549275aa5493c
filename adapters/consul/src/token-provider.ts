import { readFile } from 'node:fs/promises';
import type { TokenSetting } from './settings';

/**
 * The ACL token sent with every request. A token file is read at start and again whenever
 * Consul refuses the token, so a token rotated by writing the file (Vault agent, consul-template)
 * is picked up without a restart. The token itself is never part of a message.
 */
export class TokenProvider {
  private token: string | undefined;

  constructor(private readonly setting: TokenSetting) {
    if (setting.kind === 'value') this.token = setting.value;
  }

  current(): string | undefined {
    return this.token;
  }

  /** Reads the token file (if the token comes from one); rejects with a message naming the file. */
  async load(): Promise<void> {
    if (this.setting.kind !== 'file') return;
    let text: string;
    try {
      text = await readFile(this.setting.path, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new Error(`cannot read the token file ${this.setting.path}: ${code ?? (error as Error).message}`);
    }
    const token = text.trim();
    if (token === '') throw new Error(`the token file ${this.setting.path} is empty`);
    this.token = token;
  }

  /** Re-reads a token file after a refusal; keeps the current token if the file cannot be read. */
  async reload(): Promise<void> {
    await this.load().catch(() => undefined);
  }
}
