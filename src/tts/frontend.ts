/**
 * Text → phoneme ids with the espeak-ng program (`espeak-ng -v VOICE -q -x --sep=" "`, text
 * on stdin, no shell), tokenised as training/tts/make_data.py did: each output line is a
 * clause; its space-separated phonemes (stress marks kept) are followed by the clause-end
 * tokens. Phonemes outside the model's vocabulary are refused by name.
 */
import { execFile } from 'node:child_process';
import { FrontEndError, UnspeakableTextError } from '../core/errors.js';
import type { PhonemeSet } from '../models/ttsModel.js';

/** One sentence longer than this many phonemes is refused (the model saw ≲ 100). */
export const MAX_SENTENCE_PHONEMES = 400;

export const ESPEAK = 'espeak-ng';

/** espeak-ng's phoneme transcription of one sentence (raw stdout). */
export function runEspeak(text: string, voice: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = execFile(
      ESPEAK,
      ['-v', voice, '-q', '-x', '--sep= ', '--stdin'],
      { encoding: 'utf8', timeout: 30_000, maxBuffer: 4 << 20 },
      (err, stdout, stderr) => {
        if (err) {
          const code = (err as NodeJS.ErrnoException).code;
          reject(
            new FrontEndError(
              code === 'ENOENT'
                ? `${ESPEAK} is not installed (the text front end): apt-get install -y espeak-ng`
                : `${ESPEAK} failed: ${stderr.trim() || err.message}`,
            ),
          );
        } else resolvePromise(stdout);
      },
    );
    child.stdin?.on('error', () => undefined); // reported through the callback
    child.stdin?.end(text);
  });
}

/** The tokens of an espeak-ng transcription, clause ends added. */
export function tokenize(transcription: string, phonemes: PhonemeSet): string[] {
  const tokens: string[] = [];
  for (const line of transcription.split('\n')) {
    const words = line.split(/\s+/).filter((w) => w !== '');
    if (words.length > 0) tokens.push(...words, ...phonemes.clauseEnd);
  }
  return tokens;
}

/**
 * The token itself if the model knows it, else the same phoneme with another stress mark
 * (none first): the training sentences do not show every phoneme under every stress.
 * Undefined when the model knows the phoneme under no stress.
 */
export function knownVariant(token: string, phonemes: PhonemeSet): string | undefined {
  if (phonemes.ids.has(token)) return token;
  let base = token;
  while (base.length > 1 && phonemes.stressMarks.includes(base[0])) base = base.slice(1);
  return [base, ...[...phonemes.stressMarks].map((m) => m + base)].find((t) => phonemes.ids.has(t));
}

export interface Phonemized {
  readonly sentence: string;
  readonly tokens: string[];
  readonly ids: number[];
}

export async function phonemize(sentence: string, phonemes: PhonemeSet): Promise<Phonemized> {
  const tokens = tokenize(await runEspeak(sentence, phonemes.voice), phonemes);
  if (tokens.length === 0) {
    throw new UnspeakableTextError(`espeak-ng gives no phonemes for "${sentence}"`);
  }
  const known = tokens.map((t) => knownVariant(t, phonemes));
  const unknown = [...new Set(tokens.filter((_, i) => known[i] === undefined))];
  if (unknown.length > 0) {
    throw new UnspeakableTextError(
      `"${sentence}" needs phonemes the model does not know: ${unknown.join(' ')}`,
    );
  }
  if (tokens.length > MAX_SENTENCE_PHONEMES) {
    throw new UnspeakableTextError(
      `a sentence of ${tokens.length} phonemes is too long (at most ${MAX_SENTENCE_PHONEMES}): "${sentence.slice(0, 60)}…"; split it`,
    );
  }
  const used = known as string[];
  return { sentence, tokens: used, ids: used.map((t) => phonemes.ids.get(t)!) };
}
