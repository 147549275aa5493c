/** A request the server answers with a status and a one-line plain-text reason, as Pilot did. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

export const NOT_SYNCED_MESSAGE =
  'sextant has not completed its first sync with every adapter yet; keep your current configuration';
