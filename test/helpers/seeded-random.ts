// A deterministic random number generator for generated test inputs: a failure can be replayed from the seed.

/** Numbers in [0, 1) from a linear congruential generator started at `seed`. */
export function seededRandom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}
