import { readFile } from 'node:fs/promises';
import type { TokenSetting } from '../settings';
import { NomadError } from './nomad-error';

/**
 * The ACL token to send. A token file is read once, and again when Nomad refuses the token: a
 * rotated token (written by Vault agent, a sidecar, an operator) takes effect without a restart.
 * The token is never logged and never part of an error message.
 */
export class TokenSource {
  private cached: Promise<string | undefined> | undefined;

  constructor(private readonly setting: TokenSetting) {}

  current(): Promise<string | undefined> {
    this.cached ??= this.read();
    // A failed read is not cached: the next request tries the file again.
    this.cached.catch(() => (this.cached = undefined));
    return this.cached;
  }

  /**
   * After Nomad refused `used`: whether the token file now holds another token. Concurrent
   * refusals share one re-read: a watch that finds the file already re-read needs no other.
   */
  async changedSince(used: string | undefined): Promise<boolean> {
    if (this.setting.kind !== 'file') return false;
    const current = await this.current().catch(() => undefined);
    if (current !== undefined && current !== used) return true;
    this.cached = undefined;
    const fresh = await this.current().catch(() => undefined);
    return fresh !== undefined && fresh !== used;
  }

  private async read(): Promise<string | undefined> {
    const setting = this.setting;
    if (setting.kind === 'none') return undefined;
    if (setting.kind === 'value') return setting.value;
    try {
      const token = (await readFile(setting.path, 'utf8')).trim();
      if (token === '') throw new NomadError('local', `the token file ${setting.path} is empty`);
      return token;
    } catch (error) {
      if (error instanceof NomadError) throw error;
      throw new NomadError(
        'local',
        `cannot read the token file ${setting.path}: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
  }
}
