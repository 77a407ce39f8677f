/**
 * Checks on the text to speak and its split into sentences, before espeak-ng runs: the
 * model was trained on single English sentences, so longer text is spoken sentence by
 * sentence; characters outside what an English voice reads are refused by name (espeak-ng
 * would otherwise switch language or spell them out, e.g. "Chinese letter").
 */
import { InvalidOptionError, UnspeakableTextError } from '../core/errors.js';

/** More than this many characters is refused (about three minutes of speech). */
export const MAX_TEXT_CHARS = 2000;

/** Latin letters (accents included), digits, whitespace and the punctuation of prose. */
const SPEAKABLE = /[\p{Script=Latin}\p{Nd}\s.,;:!?'"’‘“”()\-–—&%$+/]/u;

export function checkText(text: string): void {
  if (text.trim() === '') {
    throw new InvalidOptionError(
      'the text is empty: give a sentence to speak, e.g. "Hello there."',
    );
  }
  const chars = [...text];
  if (chars.length > MAX_TEXT_CHARS) {
    throw new InvalidOptionError(
      `the text has ${chars.length} characters; at most ${MAX_TEXT_CHARS} are spoken in one run (split it into files)`,
    );
  }
  const bad = [...new Set(chars.filter((c) => !SPEAKABLE.test(c)))];
  if (bad.length > 0) {
    const shown = bad.map(
      (c) => `"${c}" (U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')})`,
    );
    throw new UnspeakableTextError(
      `the English voice cannot speak these characters: ${shown.join(', ')}`,
    );
  }
  if (splitSentences(text).length === 0) {
    throw new UnspeakableTextError(
      'the text has no letter or digit to speak (only punctuation): give a sentence, e.g. "Hello there."',
    );
  }
}

/** Sentences of the text (Intl sentence segmentation), trimmed, empty ones dropped. */
export function splitSentences(text: string): string[] {
  const seg = new Intl.Segmenter('en', { granularity: 'sentence' });
  return [...seg.segment(text.replace(/\s+/g, ' '))]
    .map((s) => s.segment.trim())
    .filter((s) => /[\p{L}\p{Nd}]/u.test(s));
}
