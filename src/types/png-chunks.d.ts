// png-chunks-extract, png-chunks-encode and png-chunk-text ship no types; these are the parts
// of their APIs the PNG text module uses.
declare module 'png-chunks-extract' {
  /** Every chunk of a PNG file, IHDR first, IEND last; throws on a bad signature or CRC. */
  export default function extract(data: Uint8Array): { name: string; data: Uint8Array }[];
}
declare module 'png-chunks-encode' {
  /** A PNG file of these chunks (signature, lengths and CRCs added). */
  export default function encode(chunks: readonly { name: string; data: Uint8Array }[]): Uint8Array;
}
declare module 'png-chunk-text' {
  /** A tEXt chunk (Latin-1 keyword and text; throws on other characters). */
  export function encode(keyword: string, text: string): { name: 'tEXt'; data: Uint8Array };
  export function decode(data: Uint8Array): { keyword: string; text: string };
}
