/** Errors of the text codecs. */

/** A character the target encoding has no bytes for; `character` and `encoding` name them. */
export class UnencodableCharacterError extends Error {
  constructor(
    readonly character: string,
    readonly encoding: string,
  ) {
    super(
      `"${character}" (U+${character.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}) cannot be written in ${encoding}`,
    );
    this.name = 'UnencodableCharacterError';
  }
}
