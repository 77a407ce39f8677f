/**
 * Typed errors. Every error a user can cause derives from DiffierError, carries a stable
 * `code`, and is turned into a one-line message and a non-zero exit by the CLI.
 */
export class DiffierError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** An option or argument value is out of range or of the wrong kind. */
export class InvalidOptionError extends DiffierError {
  constructor(message: string) {
    super('INVALID_OPTION', message);
  }
}

/** Tensor shapes do not agree. */
export class ShapeError extends DiffierError {
  constructor(message: string) {
    super('SHAPE_MISMATCH', message);
  }
}

/** A prediction or sample contains NaN or Inf. */
export class NonFiniteError extends DiffierError {
  constructor(message: string) {
    super('NON_FINITE', message);
  }
}

/** A problem file, scheduler config or other JSON input is malformed. */
export class ConfigError extends DiffierError {
  constructor(message: string) {
    super('BAD_CONFIG', message);
  }
}

/** An output path cannot be written. */
export class OutputError extends DiffierError {
  constructor(message: string) {
    super('OUTPUT_UNWRITABLE', message);
  }
}

/** Sampling was cancelled through an AbortSignal. */
export class AbortedError extends DiffierError {
  constructor() {
    super('ABORTED', 'sampling was aborted');
  }
}

/** A model folder or one of its files is missing, or a folder-level file is malformed. */
export class ModelFolderError extends DiffierError {
  constructor(message: string) {
    super('MODEL_FOLDER', message);
  }
}

/** An .onnx file exists but cannot be loaded (corrupted, truncated, missing external data). */
export class ModelLoadError extends DiffierError {
  constructor(message: string) {
    super('MODEL_LOAD', message);
  }
}

/** A network's inputs or outputs are not the ones expected (names, ranks, dtypes, sizes). */
export class ModelSignatureError extends DiffierError {
  constructor(message: string) {
    super('MODEL_SIGNATURE', message);
  }
}

/** The runtime failed while running a network. */
export class ModelRunError extends DiffierError {
  constructor(message: string) {
    super('MODEL_RUN', message);
  }
}

/** Text the speech front end cannot speak (characters or phonemes the model does not know). */
export class UnspeakableTextError extends DiffierError {
  constructor(message: string) {
    super('UNSPEAKABLE_TEXT', message);
  }
}

/** The speech front end (the espeak-ng program) is missing or failed. */
export class FrontEndError extends DiffierError {
  constructor(message: string) {
    super('FRONT_END', message);
  }
}

/** An input image that cannot be used: not a PNG, wrong size, channels, bit depth or alpha. */
export class InputImageError extends DiffierError {
  constructor(message: string) {
    super('INPUT_IMAGE', message);
  }
}

/** A run's recipe (in a PNG or WAV written by diffier) that is missing, malformed or unusable. */
export class RecipeError extends DiffierError {
  constructor(message: string) {
    super('RECIPE', message);
  }
}
