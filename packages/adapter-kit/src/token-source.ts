import { readFile } from 'node:fs/promises';
import type { Redactor } from './redactor';
import type { TokenSetting } from './token-options';

/** The token file cannot be read, or holds no token. The message names the file, never a token. */
export class TokenFileError extends Error {
  override readonly name = 'TokenFileError';

  constructor(
    readonly file: string,
    /** `unreadable` (the cause says why) or `empty`. */
    readonly problem: 'unreadable' | 'empty',
    options?: ErrorOptions,
  ) {
    super(
      problem === 'empty'
        ? `the token file ${file} is empty`
        : `cannot read the token file ${file}: ${errorCode(options?.cause)}`,
      options,
    );
  }
}

/**
 * The token to send with each request. A token file is read on first use, and again when the
 * platform refuses the token: a rotated token takes effect without a restart. A read that fails
 * is not kept, so the next use tries the file again; the last token read stays usable meanwhile.
 * Every token it holds, the given one and each one read, is added to the adapter's Redactor
 * before anyone can send it.
 */
export class TokenSource {
  /** The read in progress or done; concurrent users share it. */
  private reading: Promise<string | undefined> | undefined;
  private last: string | undefined;

  constructor(
    private readonly setting: TokenSetting,
    private readonly redactor: Redactor,
  ) {
    if (setting.kind === 'value') {
      this.last = setting.value;
      redactor.add(setting.value);
    }
  }

  /** The token, reading the file if it has not been read yet; rejects with a TokenFileError. */
  get(): Promise<string | undefined> {
    if (this.reading) return this.reading;
    const reading = this.read();
    this.reading = reading;
    reading.catch(() => {
      if (this.reading === reading) this.reading = undefined;
    });
    return reading;
  }

  /** The token last read, at once; undefined before the file was first read. */
  latest(): string | undefined {
    return this.last;
  }

  /**
   * After the platform refused `used`: whether the token file now holds another token, reading
   * it again if need be. Refusals of many requests at once share one re-read: a caller that finds
   * the token already changed since it was used needs none. False for a token that is no file.
   */
  async changedSince(used: string | undefined): Promise<boolean> {
    if (this.setting.kind !== 'file') return false;
    const current = await this.get().catch(() => undefined);
    if (current !== undefined && current !== used) return true;
    this.reading = undefined;
    const fresh = await this.get().catch(() => undefined);
    return fresh !== undefined && fresh !== used;
  }

  private async read(): Promise<string | undefined> {
    const setting = this.setting;
    if (setting.kind !== 'file') return setting.kind === 'value' ? setting.value : undefined;
    let text: string;
    try {
      text = await readFile(setting.path, 'utf8');
    } catch (error) {
      throw new TokenFileError(setting.path, 'unreadable', { cause: error });
    }
    const token = text.trim();
    if (token === '') throw new TokenFileError(setting.path, 'empty');
    this.redactor.add(token);
    this.last = token;
    return token;
  }
}

function errorCode(cause: unknown): string {
  return (cause as NodeJS.ErrnoException | undefined)?.code ?? (cause as Error | undefined)?.message ?? '';
}
