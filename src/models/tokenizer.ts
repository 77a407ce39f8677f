/**
 * Prompt → fixed-length token ids, as CLIP pipelines do: tokenize with the folder's own
 * tokenizer (@huggingface/tokenizers), truncate the prompt's tokens so that the special tokens
 * survive, pad to the model's length with its pad token.
 */
import { Tokenizer } from '@huggingface/tokenizers';
import { InvalidOptionError, ModelFolderError } from '../core/errors.js';
import { readText } from '../io/files.js';
import { clipTokenizerJson, parseMerges } from './clipTokenizer.js';
import { readJsonFile, type ModelFolder } from './folder.js';

/** A prompt ready for the text encoder. */
export interface TokenizedPrompt {
  /** maxLength ids, padded. */
  readonly ids: readonly number[];
  /** Tokens before padding, special tokens included. */
  readonly length: number;
  /** Prompt tokens cut off by truncation, and their text. */
  readonly dropped: number;
  readonly droppedText: string;
  /** Prompt words the vocabulary lacks (read as the unknown token). */
  readonly unknown: readonly string[];
}

type Json = Record<string, unknown>;

/** What `Tokenizer.encode` returns; an id is undefined for a token outside the vocabulary. */
interface Encoded {
  readonly ids: readonly (number | undefined)[];
  readonly tokens: readonly string[];
}

/** A special token as tokenizer_config.json writes it: a string or an AddedToken object. */
function tokenText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && v !== null && typeof (v as Json).content === 'string') {
    return (v as Json).content as string;
  }
  return undefined;
}

/** transformers writes 1e30 when a tokenizer has no length of its own. */
const MAX_SANE_LENGTH = 100_000;

/** Token ids index the text encoder's embedding table; larger vocabularies do not exist. */
export const MAX_TOKEN_ID = 10_000_000;

/**
 * Every id tokenizer.json assigns (the model's vocabulary and the added tokens) must be an
 * integer in [0, MAX_TOKEN_ID]: the encoder's Gather reads −1 as the table's last row, so a
 * negative id would run and silently embed another token.
 */
function checkTokenIds(tokenizerJson: Json, where: string): void {
  const model = tokenizerJson.model as Json | undefined;
  const vocab = model?.vocab;
  const ids: [string, unknown][] = [];
  // Unigram's vocabulary is a list (ids are positions); the others map token → id.
  if (vocab && typeof vocab === 'object' && !Array.isArray(vocab)) {
    ids.push(...Object.entries(vocab as Record<string, unknown>));
  }
  for (const t of (tokenizerJson.added_tokens as Json[] | undefined) ?? []) {
    ids.push([String(t?.content), t?.id]);
  }
  for (const [token, id] of ids) {
    if (!(typeof id === 'number' && Number.isInteger(id) && id >= 0 && id <= MAX_TOKEN_ID)) {
      throw new ModelFolderError(
        `${where}: token ${JSON.stringify(token.slice(0, 40))} has id ${JSON.stringify(id)}; ids must be integers in [0, ${MAX_TOKEN_ID}]`,
      );
    }
  }
}

export class PromptTokenizer {
  private constructor(
    private readonly tokenizer: Tokenizer,
    readonly maxLength: number,
    readonly padId: number,
    private readonly unkId: number | undefined,
    private readonly unkToken: string | undefined,
  ) {}

  /**
   * `fallbackLength`: the text encoder's sequence length, used when tokenizer_config.json
   * gives no model_max_length; when both are known they must agree.
   */
  static fromJson(
    tokenizerJson: Json,
    config: Json,
    fallbackLength?: number,
    where = 'tokenizer',
  ): PromptTokenizer {
    checkTokenIds(tokenizerJson, where);
    let tokenizer: Tokenizer;
    try {
      tokenizer = new Tokenizer(tokenizerJson, config);
    } catch (err) {
      throw new ModelFolderError(`${where}: cannot build the tokenizer: ${(err as Error).message}`);
    }
    const declared = config.model_max_length;
    // Transformers writes a huge sentinel (1e30) for "no limit"; anything else must be a
    // positive integer.
    if (
      declared !== undefined &&
      declared !== null &&
      !(typeof declared === 'number' && Number.isInteger(declared) && declared >= 1)
    ) {
      throw new ModelFolderError(
        `${where}: tokenizer_config.json model_max_length must be a positive integer, got ${JSON.stringify(declared)}`,
      );
    }
    const own =
      typeof declared === 'number' &&
      Number.isInteger(declared) &&
      declared >= 1 &&
      declared <= MAX_SANE_LENGTH
        ? declared
        : undefined;
    if (own !== undefined && fallbackLength !== undefined && own !== fallbackLength) {
      throw new ModelFolderError(
        `${where}: model_max_length is ${own} but the text encoder reads ${fallbackLength} tokens`,
      );
    }
    const maxLength = own ?? fallbackLength;
    if (maxLength === undefined) {
      throw new ModelFolderError(
        `${where}: no model_max_length in tokenizer_config.json and the text encoder's length is dynamic`,
      );
    }
    const idOf = (key: string): number | undefined => {
      const text = tokenText(config[key]);
      return text === undefined ? undefined : tokenizer.token_to_id(text);
    };
    // CLIP for SD 1.x has no pad token and pads with <|endoftext|>; SD 2.x pads with "!".
    const padId = idOf('pad_token') ?? idOf('eos_token');
    if (padId === undefined) {
      throw new ModelFolderError(
        `${where}: tokenizer_config.json names no pad_token (or eos_token) in the vocabulary`,
      );
    }
    const model = tokenizerJson.model as Json | undefined;
    const unkToken = tokenText(config.unk_token) ?? tokenText(model?.unk_token);
    const unkId = unkToken === undefined ? undefined : tokenizer.token_to_id(unkToken);
    return new PromptTokenizer(tokenizer, maxLength, padId, unkId, unkToken);
  }

  /** The folder's tokenizer.json, or CLIP's vocab.json + merges.txt converted (clipTokenizer.ts). */
  static async load(folder: ModelFolder, fallbackLength?: number): Promise<PromptTokenizer> {
    const config = folder.tokenizerConfig
      ? ((await readJsonFile(folder.tokenizerConfig)) as Json)
      : {};
    let json: Json;
    let where: string;
    if (folder.tokenizerJson) {
      json = (await readJsonFile(folder.tokenizerJson)) as Json;
      where = folder.tokenizerJson;
    } else if (folder.vocabJson && folder.mergesTxt) {
      const vocab = (await readJsonFile(folder.vocabJson)) as Record<string, number>;
      const merges = parseMerges(await readText(folder.mergesTxt));
      json = clipTokenizerJson(vocab, merges);
      where = `${folder.vocabJson} + merges.txt`;
    } else {
      throw new ModelFolderError(`${folder.dir}: no tokenizer files`);
    }
    return PromptTokenizer.fromJson(json, config, fallbackLength, where);
  }

  /**
   * Token ids of a prompt, padded to maxLength. An over-long prompt keeps its first tokens and
   * its special tokens (CLIP's truncation); `dropped` says how many were cut. Empty prompts
   * are allowed here (the unconditional embedding is the empty prompt's).
   */
  encode(prompt: string): TokenizedPrompt {
    const full = this.tokenizer.encode(prompt) as Encoded;
    const content = this.tokenizer.encode(prompt, { add_special_tokens: false }) as Encoded;
    const n = content.tokens.length;
    // Where the prompt's tokens sit among the special ones the post-processor added.
    let start = 0;
    for (let k = 0; k + n <= full.tokens.length; k++) {
      if (content.tokens.every((t, j) => full.tokens[k + j] === t)) {
        start = k;
        break;
      }
    }
    const specials = full.tokens.length - n;
    const room = this.maxLength - specials;
    if (room < 0) {
      throw new ModelFolderError(
        `the tokenizer adds ${specials} special tokens, more than the ${this.maxLength} the model reads`,
      );
    }
    const kept = Math.min(n, room);
    const unknown: string[] = [];
    const ids = full.ids.map((id, j) => {
      const token = full.tokens[j];
      const isUnknown =
        id === undefined || id === null || (id === this.unkId && token !== this.unkToken);
      if (!isUnknown) return id as number;
      unknown.push(token);
      if (this.unkId === undefined) {
        throw new InvalidOptionError(
          `prompt token "${token}" is not in the vocabulary and the tokenizer has no unknown token`,
        );
      }
      return this.unkId;
    });
    const droppedIds = ids.slice(start + kept, start + n);
    const out = [...ids.slice(0, start + kept), ...ids.slice(start + n)];
    while (out.length < this.maxLength) out.push(this.padId);
    return {
      ids: out,
      length: specials + kept,
      dropped: n - kept,
      droppedText: droppedIds.length > 0 ? this.tokenizer.decode(droppedIds) : '',
      unknown,
    };
  }
}
