// fft.js 4 ships no types; this is the part of its API the audio code uses.
declare module 'fft.js' {
  export default class FFT {
    constructor(size: number);
    readonly size: number;
    createComplexArray(): number[];
    /** Left half of the spectrum of a real input, interleaved [re, im, …]. */
    realTransform(out: number[], input: ArrayLike<number>): void;
    completeSpectrum(out: number[]): void;
    transform(out: number[], input: ArrayLike<number>): void;
    /** Scaled by 1/size. */
    inverseTransform(out: number[], input: ArrayLike<number>): void;
  }
}
