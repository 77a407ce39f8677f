import { availableParallelism } from 'node:os';

/** --threads: more than two threads per core only adds contention (Node only: node:os). */
export const MAX_THREADS = 2 * availableParallelism();
