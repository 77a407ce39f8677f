/**
 * CLIP's "slow" tokenizer files (vocab.json + merges.txt, what diffusers/optimum Stable
 * Diffusion folders usually ship) as a tokenizer.json object for @huggingface/tokenizers,
 * which reads only the fast format. The recipe is transformers' `CLIPConverter`
 * (convert_slow_tokenizer.py): byte-level BPE with "</w>" word ends, NFC + whitespace
 * collapse + lowercase, CLIP's split regex, and <|startoftext|> … <|endoftext|> around.
 */
import { ModelFolderError } from '../core/errors.js';

const BOS = '<|startoftext|>';
const EOS = '<|endoftext|>';
const CLIP_SPLIT = "'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+";

/** Lines of merges.txt without the "#version" header and blank lines. */
export function parseMerges(text: string): string[] {
  return text
    .split(/\r?\n/)
    .filter((line) => line.trim() !== '' && !line.startsWith('#version'))
    .map((line) => line.trim());
}

export function clipTokenizerJson(
  vocab: Record<string, number>,
  merges: readonly string[],
): Record<string, unknown> {
  const id = (token: string): number => {
    const v = vocab[token];
    if (typeof v !== 'number') {
      throw new ModelFolderError(
        `tokenizer vocab.json has no ${token} token (not a CLIP vocabulary)`,
      );
    }
    return v;
  };
  const special = (token: string) => ({
    id: id(token),
    content: token,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: true,
    special: true,
  });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [special(BOS), special(EOS)],
    normalizer: {
      type: 'Sequence',
      normalizers: [
        { type: 'NFC' },
        { type: 'Replace', pattern: { Regex: '\\s+' }, content: ' ' },
        { type: 'Lowercase' },
      ],
    },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: CLIP_SPLIT }, behavior: 'Removed', invert: true },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
    post_processor: {
      type: 'RobertaProcessing',
      sep: [EOS, id(EOS)],
      cls: [BOS, id(BOS)],
      trim_offsets: false,
      add_prefix_space: false,
    },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: EOS,
      continuing_subword_prefix: '',
      end_of_word_suffix: '</w>',
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges: [...merges],
    },
  };
}
